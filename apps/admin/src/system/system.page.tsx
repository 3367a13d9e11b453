import { Stack } from '@mantine/core';
import { PageTitle } from '@saas/ui';
import { Certificates } from './certificates';
import { ReconcileRuns } from './reconcile-runs';

export function SystemPage() {
  return (
    <>
      <PageTitle>System</PageTitle>
      <Stack gap="xl">
        <Certificates />
        <ReconcileRuns />
      </Stack>
    </>
  );
}
