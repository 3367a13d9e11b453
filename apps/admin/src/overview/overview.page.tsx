import { Anchor, Card, SimpleGrid, Text } from '@mantine/core';
import { ErrorState, LoadingState, PageTitle } from '@saas/ui';
import { Link } from 'react-router';
import { useOverview } from './overview.queries';

function Stat({ label, value, to }: { label: string; value: number; to: string }) {
  return (
    <Card withBorder padding="lg">
      <Text size="sm" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={32} fw={700}>
        {value.toLocaleString()}
      </Text>
      <Anchor component={Link} to={to} size="sm">
        View {label.toLowerCase()}
      </Anchor>
    </Card>
  );
}

export function OverviewPage() {
  const overview = useOverview();
  return (
    <>
      <PageTitle>Overview</PageTitle>
      {overview.isPending ? (
        <LoadingState />
      ) : overview.isError ? (
        <ErrorState error={overview.error} onRetry={() => overview.refetch()} />
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <Stat label="Users" value={overview.data.users} to="/users" />
          <Stat label="Tenants" value={overview.data.tenants} to="/tenants" />
        </SimpleGrid>
      )}
    </>
  );
}
