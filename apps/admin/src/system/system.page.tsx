import { Stack, Tabs } from '@mantine/core';
import { PageTitle } from '@saas/ui';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { useUrlParams } from '../shared/url-params';
import { Certificates } from './certificates';
import { EdgeRoutes } from './edge-routes';
import { PlatformSettings } from './platform-settings';
import { Queues } from './queues';
import { ReconcileRuns } from './reconcile-runs';
import { Workers } from './workers';

const TABS = [
  {
    value: 'workers',
    label: 'Workers & queues',
    panel: (
      <Stack gap="xl">
        <Workers />
        <Queues />
      </Stack>
    ),
  },
  { value: 'edge', label: 'Edge routes', panel: <EdgeRoutes /> },
  { value: 'certificates', label: 'Certificates', panel: <Certificates /> },
  { value: 'reconciler', label: 'Reconciler', panel: <ReconcileRuns /> },
  { value: 'settings', label: 'Settings', panel: <PlatformSettings /> },
] as const;

/** Workers and queues, the edge's routes and certificates, the reconciler and the settings: one tab each (in the URL), so a phone shows one at a time. */
export function SystemPage() {
  const { params, update } = useUrlParams();
  const tab = TABS.find((t) => t.value === params.get('tab'))?.value ?? 'workers';

  return (
    <>
      <PageTitle>System</PageTitle>
      <ReadOnlyHint />
      <Tabs
        value={tab}
        // Each tab has its own filters: a new tab starts unfiltered, on its first page.
        onChange={(v) => update({ tab: v && v !== 'workers' ? v : '', q: '', status: '', offset: '' })}
        keepMounted={false}
      >
        <Tabs.List aria-label="System views" mb="md">
          {TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map((t) => (
          <Tabs.Panel key={t.value} value={t.value}>
            {t.panel}
          </Tabs.Panel>
        ))}
      </Tabs>
    </>
  );
}
