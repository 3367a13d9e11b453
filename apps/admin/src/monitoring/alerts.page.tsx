import { Button, Code, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { formatDateTime, PageTitle, QueryTable } from '@saas/ui';
import { PAGE_SIZE } from '../config';
import { FilteredEmptyState, rawStatusOptions, StatusFilter, useStatusParams } from '../shared/status-filter';
import { AlertStatusBadge, SeverityBadge } from './alert-badges';
import { type AdminAlert, ALERT_STATUSES, isAlertStatus, useAdminAlerts } from './alerts.queries';

const statusOptions = rawStatusOptions(ALERT_STATUSES);

// The labels that say where an alert is (the name and severity have their own columns).
const whereLabels = (alert: AdminAlert) => Object.entries(alert.labels).filter(([key]) => !['alertname', 'severity', 'job'].includes(key));

/** Alerts from Alertmanager (docs/monitoring.md): firing first, then recent resolved ones; filter and page in the URL. */
export function AlertsPage() {
  const { offset, setOffset, status, setStatus } = useStatusParams(isAlertStatus);
  const alerts = useAdminAlerts({ status, limit: PAGE_SIZE, offset });

  return (
    <>
      <PageTitle>Alerts</PageTitle>
      <Text size="sm" c="dimmed" mb="md">
        Prometheus evaluates the alert rules and Alertmanager notifies the platform, which mails the operators when an alert fires and when
        it resolves.
      </Text>
      <Paper withBorder p="md">
        <Group align="flex-end" justify="space-between" mb="md" wrap="wrap">
          <StatusFilter status={status} onChange={setStatus} allLabel="All (firing first)" options={statusOptions} />
          <Button variant="default" size="xs" onClick={() => alerts.refetch()} loading={alerts.isFetching}>
            Refresh
          </Button>
        </Group>
        <QueryTable
          query={alerts}
          keepDataOnError
          empty={
            <FilteredEmptyState
              title={status === 'firing' || !status ? 'No active alerts' : 'No alerts'}
              description={status ? `No alert is ${status}.` : 'No alert has fired yet.'}
              onShowAll={status && (() => setStatus(undefined))}
            />
          }
          label="Alerts"
          minWidth={900}
          striped
          columns={['Alert', 'Status', 'Severity', 'Where', 'Started', 'Resolved']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(a) => (
            <Table.Tr key={a.id}>
              <Table.Td maw={380}>
                <Text size="sm" fw={600}>
                  {a.name}
                </Text>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {a.summary}
                </Text>
                {a.description && (
                  <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                    {a.description}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <AlertStatusBadge alert={a} />
              </Table.Td>
              <Table.Td>
                <SeverityBadge severity={a.severity} />
              </Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  {whereLabels(a).map(([key, value]) => (
                    <Code key={key} fz="xs">
                      {key}={value}
                    </Code>
                  ))}
                </Stack>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(a.startsAt)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{a.endsAt ? formatDateTime(a.endsAt) : '—'}</Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
