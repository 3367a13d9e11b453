import { Stack } from '@mantine/core';
import { PageTitle } from '@saas/ui';
import { Certificates } from './certificates';
import { Queues } from './queues';
import { ReconcileRuns } from './reconcile-runs';
import { Workers } from './workers';

export function SystemPage() {
  return (
    <>
      <PageTitle>System</PageTitle>
      <Stack gap="xl">
        <Workers />
        <Queues />
        <Certificates />
        <ReconcileRuns />
      </Stack>
    </>
  );
}
