import { Badge, Button, Code, Group, Paper, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import {
  ConfirmButton,
  DataTable,
  EmptyState,
  formatDateTime,
  formatRelative,
  notifyError,
  notifySuccess,
  QueryTable,
  QueryView,
} from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { badgeStyles } from '../shared/badge-styles';
import { type FailedJob, type QueueDepth, useFailedJobAction, useFailedJobs, useQueueDepths } from './operations.queries';

const JOBS_PER_PAGE = 20;

function Count({ value, alarm = false }: { value: number; alarm?: boolean }) {
  if (alarm && value > 0) {
    return (
      <Badge color="red.9" variant="filled" styles={badgeStyles}>
        {value}
      </Badge>
    );
  }
  return <Text size="sm">{value.toLocaleString()}</Text>;
}

function DepthsTable({ depths }: { depths: QueueDepth[] }) {
  return (
    <DataTable
      label="Queue depths table"
      minWidth={640}
      striped
      columns={['Queue', 'Waiting', 'Active', 'Delayed', 'Failed', 'Completed (kept)']}
    >
      {depths.map((q) => (
        <Table.Tr key={q.name}>
          <Table.Td>
            <Group gap="xs" wrap="nowrap">
              <Text size="sm" fw={500}>
                {q.name}
              </Text>
              {q.paused && (
                <Badge color="orange" c="orange.9" variant="light" styles={badgeStyles}>
                  Paused
                </Badge>
              )}
            </Group>
          </Table.Td>
          <Table.Td>
            <Count value={q.waiting} />
          </Table.Td>
          <Table.Td>
            <Count value={q.active} />
          </Table.Td>
          <Table.Td>
            <Count value={q.delayed} />
          </Table.Td>
          <Table.Td>
            <Count value={q.failed} alarm />
          </Table.Td>
          <Table.Td>
            <Count value={q.completed} />
          </Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

function JobActions({ job }: { job: FailedJob }) {
  const { retry, remove } = useFailedJobAction();
  const target = { queue: job.queue, jobId: job.id };
  return (
    <Group gap="xs" wrap="nowrap">
      <Button
        variant="default"
        size="xs"
        loading={retry.isPending}
        aria-label={`Retry job ${job.name} ${job.id}`}
        onClick={() => retry.mutateAsync(target).then(() => notifySuccess('The job is queued again.', job.name), notifyError)}
      >
        Retry
      </Button>
      <ConfirmButton
        aria-label={`Remove job ${job.name} ${job.id}`}
        title={`Remove job ${job.name}?`}
        message="The failed job and its error are deleted; it will not run again."
        confirmLabel="Remove"
        onConfirm={async () => {
          await remove.mutateAsync(target);
          notifySuccess('The failed job is removed.', job.name);
        }}
      >
        Remove
      </ConfirmButton>
    </Group>
  );
}

function FailedJobs({ queue }: { queue: string }) {
  const [offset, setOffset] = useState(0);
  const canEdit = useIsPlatformAdmin();
  const jobs = useFailedJobs(queue, { limit: JOBS_PER_PAGE, offset });
  return (
    <QueryTable
      query={jobs}
      loadingLabel={`Loading failed jobs of ${queue}…`}
      keepDataOnError
      empty={<EmptyState title="No failed jobs" description={`Nothing in the ${queue} queue has failed for good.`} />}
      label={`Failed jobs of the ${queue} queue`}
      minWidth={860}
      striped
      paging={{ limit: JOBS_PER_PAGE, offset, onChange: setOffset }}
      columns={['Job', 'Error', 'Attempts', 'Failed', canEdit && 'Actions']}
    >
      {(j) => (
        <Table.Tr key={j.id}>
          <Table.Td>
            <Stack gap={2}>
              <Text size="sm" fw={500}>
                {j.name}
              </Text>
              <Text size="xs" c="dimmed" ff="monospace">
                #{j.id}
              </Text>
              {Object.entries(j.data).map(([k, v]) => (
                <Text key={k} size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {k}: {String(v)}
                </Text>
              ))}
            </Stack>
          </Table.Td>
          <Table.Td maw={420}>
            <Text size="sm" c="red.9" style={{ wordBreak: 'break-word' }}>
              {j.failedReason || 'No error message'}
            </Text>
            {j.stack && (
              <details>
                <summary>
                  <Text span size="xs">
                    Stack trace
                  </Text>
                </summary>
                <Code block fz="xs">
                  {j.stack}
                </Code>
              </details>
            )}
          </Table.Td>
          <Table.Td>
            {j.attemptsMade} of {j.maxAttempts}
          </Table.Td>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>
            <Text size="sm">{formatDateTime(j.failedAt)}</Text>
            <Text size="xs" c="dimmed">
              {formatRelative(j.failedAt)}
            </Text>
          </Table.Td>
          {canEdit && (
            <Table.Td>
              <JobActions job={j} />
            </Table.Td>
          )}
        </Table.Tr>
      )}
    </QueryTable>
  );
}

/** Queue depths, and the failed jobs of the chosen queue with their errors, retry and remove. */
export function Queues() {
  const depths = useQueueDepths();
  const [chosen, setChosen] = useState<string | null>(null);
  // Until the operator picks one, show the queue with the most failures.
  const mostFailed = depths.data?.reduce<QueueDepth | undefined>((a, q) => (!a || q.failed > a.failed ? q : a), undefined)?.name;
  const queue = chosen ?? mostFailed;

  return (
    <section aria-labelledby="queues-heading">
      <Title order={2} size="h3" id="queues-heading" mb="xs">
        Queues
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Jobs per state. A job that used up its attempts stays under “Failed” with its error until it is retried or removed.
      </Text>
      <QueryView query={depths} loadingLabel="Loading queues…" keepDataOnError empty={<EmptyState title="No queues" description="" />}>
        {(data) => (
          <Stack gap="md">
            <Paper withBorder p="md" aria-busy={depths.isFetching}>
              <DepthsTable depths={data} />
            </Paper>
            <Paper withBorder p="md">
              <Group justify="space-between" mb="sm" wrap="wrap">
                <Title order={3} size="h4">
                  Failed jobs
                </Title>
                <SegmentedControl
                  aria-label="Queue"
                  size="xs"
                  value={queue ?? ''}
                  onChange={setChosen}
                  data={data.map((q) => ({ value: q.name, label: q.failed ? `${q.name} (${q.failed})` : q.name }))}
                />
              </Group>
              {queue && <FailedJobs key={queue} queue={queue} />}
            </Paper>
          </Stack>
        )}
      </QueryView>
    </section>
  );
}
