import { Anchor, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ErrorState, LoadingState, PageTitle } from '@saas/ui';
import { Link } from 'react-router';
import { useRevenue } from '../billing/billing.queries';
import { formatMoney } from '../billing/money';
import { COUNTED_STATUSES, type InstanceStatus, useInstanceCounts } from '../instances/instances.queries';
import { ActiveAlerts } from '../monitoring/active-alerts';
import { useCertificates } from '../system/system.queries';
import { useOverview } from './overview.queries';
import { OverviewCharts } from './overview-charts';

function Stat({
  label,
  value,
  to,
  linkLabel,
  alert,
}: {
  label: string;
  /** A count, or an already formatted figure (an amount of money). */
  value: number | string;
  to: string;
  linkLabel?: string;
  alert?: boolean;
}) {
  return (
    <Card withBorder padding="lg" style={alert ? { borderColor: 'var(--mantine-color-red-7)' } : undefined}>
      <Text size="sm" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={32} fw={700} c={alert ? 'red.9' : undefined}>
        {typeof value === 'number' ? value.toLocaleString() : value}
      </Text>
      <Anchor component={Link} to={to} size="sm">
        {linkLabel ?? `View ${label.toLowerCase()}`}
      </Anchor>
    </Card>
  );
}

const statusLabels: Record<InstanceStatus, string> = {
  pending: 'Pending',
  provisioning: 'Provisioning',
  running: 'Running',
  stopped: 'Stopped',
  failed: 'Failed',
  deleting: 'Deleting',
  deleted: 'Deleted',
};

function InstanceCounts() {
  const counts = useInstanceCounts();
  if (counts.isPending) return <LoadingState label="Counting instances…" />;
  if (counts.error) return <ErrorState error={counts.error} onRetry={() => counts.refetch()} />;
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
      {COUNTED_STATUSES.map((s) => (
        <Stat
          key={s}
          label={statusLabels[s]}
          value={counts.byStatus[s]}
          to={`/instances?status=${s}`}
          linkLabel={`View ${s}`}
          alert={s === 'failed' && counts.byStatus[s] > 0}
        />
      ))}
    </SimpleGrid>
  );
}

export function OverviewPage() {
  const overview = useOverview();
  const instances = useInstanceCounts();
  const certs = useCertificates();
  const certsDue = certs.data?.filter((c) => c.nearExpiry || c.status === 'renewal_failed').length;
  // The revenue report's last day is today.
  const revenue = useRevenue(30);
  const today = revenue.data?.points.at(-1);

  return (
    <>
      <PageTitle>Overview</PageTitle>
      <Stack gap="xl">
        <ActiveAlerts />
        {overview.isPending ? (
          <LoadingState />
        ) : overview.isError ? (
          <ErrorState error={overview.error} onRetry={() => overview.refetch()} />
        ) : (
          <SimpleGrid cols={{ base: 2, lg: 5 }}>
            <Stat label="Users" value={overview.data.users} to="/users" />
            <Stat label="Tenants" value={overview.data.tenants} to="/tenants" />
            {!instances.isPending && !instances.error && <Stat label="Instances" value={instances.live} to="/instances" />}
            {certsDue !== undefined && (
              <Stat label="Certificates due" value={certsDue} to="/system" linkLabel="View certificates" alert={certsDue > 0} />
            )}
            {today && revenue.data && (
              <Stat label="MRR" value={formatMoney(today.mrr, revenue.data.currency)} to="/billing" linkLabel="View billing" />
            )}
          </SimpleGrid>
        )}
        <section aria-labelledby="instances-by-status">
          <Title order={2} size="h3" id="instances-by-status" mb="sm">
            Instances by status
          </Title>
          <InstanceCounts />
        </section>
        <OverviewCharts />
      </Stack>
    </>
  );
}
