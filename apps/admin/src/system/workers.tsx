import { Alert, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { formatDateTime, formatRelative, QueryTable } from '@saas/ui';
import { badgeStyles } from '../shared/badge-styles';
import { useWorkers, type WorkerInfo } from './operations.queries';

/** A beat is due every 5 s; one missed beat is noise, three say the process is stuck or cut off. */
const LATE_AFTER_MS = 15_000;

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function LastBeat({ worker }: { worker: WorkerInfo }) {
  const late = Date.now() - Date.parse(worker.lastBeatAt) > LATE_AFTER_MS;
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" title={formatDateTime(worker.lastBeatAt)}>
        {formatRelative(worker.lastBeatAt)}
      </Text>
      {late && (
        <Badge color="orange" c="orange.9" variant="light" styles={badgeStyles}>
          Late
        </Badge>
      )}
    </Group>
  );
}

/** Worker processes with a recent heartbeat; none at all is the one thing an operator must not miss. */
export function Workers() {
  const workers = useWorkers();
  return (
    <section aria-labelledby="workers-heading">
      <Title order={2} size="h3" id="workers-heading" mb="xs">
        Workers
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Worker processes run the queued work: provisioning and other instance operations, mail, and maintenance. Each one reports every few
        seconds and drops out of this list 30 s after its last report.
      </Text>
      <Paper withBorder p="md">
        <QueryTable
          query={workers}
          loadingLabel="Loading workers…"
          keepDataOnError
          empty={
            <Alert color="red" variant="light" title="No worker is running" role="alert">
              Nothing takes jobs from the queues: new instances stay pending and mail is not sent. Start the worker process (in local mode{' '}
              <Text span ff="monospace" size="sm">
                npm run up
              </Text>
              ) and check its log.
            </Alert>
          }
          label="Workers table"
          minWidth={760}
          striped
          columns={['Worker', 'Version', 'Queues', 'Up for', 'Last heartbeat']}
        >
          {(w) => (
            <Table.Tr key={w.id}>
              <Table.Td>
                <Stack gap={0}>
                  <Text size="sm" fw={500}>
                    {w.hostname} · pid {w.pid}
                  </Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {w.id}
                  </Text>
                </Stack>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {w.version}
                </Text>
              </Table.Td>
              <Table.Td>{w.consumers.join(', ')}</Table.Td>
              <Table.Td>
                <Text size="sm" title={`Started ${formatDateTime(w.startedAt)}`}>
                  {formatUptime(Date.now() - Date.parse(w.startedAt))}
                </Text>
              </Table.Td>
              <Table.Td>
                <LastBeat worker={w} />
              </Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </section>
  );
}
