import { Paper, Tabs } from '@mantine/core';
import { PageTitle } from '@saas/ui';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { useUrlParams } from '../shared/url-params';
import { FailedPaymentsTab } from './failed-payments';
import { RevenueTab } from './revenue';
import { SubscriptionsTab } from './subscriptions';
import { WebhookEventsTab } from './webhook-events';

const TABS = [
  // Revenue lays out its own cards; the lists sit on one panel each.
  { value: 'revenue', label: 'Revenue', panel: <RevenueTab />, framed: false },
  { value: 'subscriptions', label: 'Subscriptions', panel: <SubscriptionsTab />, framed: true },
  { value: 'failed-payments', label: 'Failed payments', panel: <FailedPaymentsTab />, framed: true },
  { value: 'events', label: 'Webhook events', panel: <WebhookEventsTab />, framed: true },
] as const;

/** Revenue, subscriptions, failed payments and the provider's webhook events; the tab is in the URL so a view can be linked. */
export function BillingPage() {
  const { params, update } = useUrlParams();
  const tab = TABS.find((t) => t.value === params.get('tab'))?.value ?? 'revenue';

  return (
    <>
      <PageTitle>Billing</PageTitle>
      <ReadOnlyHint />
      <Tabs
        value={tab}
        // Each tab has its own filters: a new tab starts unfiltered, on its first page.
        onChange={(v) => update({ tab: v && v !== 'revenue' ? v : '', status: '', offset: '' })}
        keepMounted={false}
      >
        <Tabs.List aria-label="Billing views" mb="md">
          {TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map((t) => (
          <Tabs.Panel key={t.value} value={t.value}>
            {t.framed ? (
              <Paper withBorder p="md">
                {t.panel}
              </Paper>
            ) : (
              t.panel
            )}
          </Tabs.Panel>
        ))}
      </Tabs>
    </>
  );
}
