import { Anchor, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { EmptyState, ErrorState, formatDateTime, LoadingState } from '@saas/ui';
import { Link } from 'react-router';
import { badgeStyles } from '../shared/badge-styles';
import { SeverityBadge } from './alert-badges';
import { useAdminAlerts } from './alerts.queries';

const SHOWN = 10;

/**
 * The alerts firing now (from Alertmanager, docs/monitoring.md), for the overview page: each with
 * its severity, summary and start, or "No active alerts".
 */
export function ActiveAlerts() {
  const alerts = useAdminAlerts({ status: 'firing', limit: SHOWN, offset: 0 });
  const total = alerts.data?.total ?? 0;

  return (
    <section aria-labelledby="active-alerts-heading">
      <Group gap="sm" mb="xs">
        <Title order={2} size="h3" id="active-alerts-heading">
          Active alerts
        </Title>
        {total > 0 && (
          <Badge color="red.9" variant="filled" styles={badgeStyles}>
            {total} firing
          </Badge>
        )}
      </Group>
      <Paper withBorder p="md">
        {alerts.isPending ? (
          <LoadingState label="Loading alerts…" />
        ) : alerts.isError && !alerts.data ? (
          <ErrorState error={alerts.error} onRetry={() => alerts.refetch()} />
        ) : total === 0 ? (
          <EmptyState title="No active alerts" description="Every alert rule is quiet." />
        ) : (
          <Stack gap="sm">
            <ul aria-label="Firing alerts" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {alerts.data?.items.map((alert) => (
                <li key={alert.id} style={{ padding: '6px 0' }}>
                  <Group gap="xs" wrap="wrap">
                    <SeverityBadge severity={alert.severity} />
                    <Text size="sm" fw={600}>
                      {alert.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      since {formatDateTime(alert.startsAt)}
                    </Text>
                  </Group>
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {alert.summary}
                  </Text>
                </li>
              ))}
            </ul>
            <Anchor component={Link} to="/alerts" size="sm">
              {total > SHOWN ? `View all ${total} alerts` : 'View alerts'}
            </Anchor>
          </Stack>
        )}
      </Paper>
    </section>
  );
}
