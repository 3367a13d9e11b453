import { Badge, Button, Group, Paper, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { DataTable, durationMs, EmptyState, ErrorState, formatDateTime, formatDuration, formatRelative, LoadingState } from '@saas/ui';
import { useState } from 'react';
import { badgeStyles } from '../shared/badge-styles';
import { type ReconcileRun, useReconcileRuns } from './system.queries';

const RUNS_PER_PAGE = 50;

const kindLabels: Record<string, string> = {
  container_missing: 'Container missing',
  container_down: 'Container down',
  container_should_be_stopped: 'Container should be stopped',
  orphan_container: 'Orphan container',
  orphan_volume: 'Deleted instance’s volume',
  stuck_operation: 'Stuck operation',
};

function FindingsTable({ run }: { run: ReconcileRun }) {
  return (
    <DataTable
      label={`Findings of the run at ${formatDateTime(run.startedAt)}`}
      minWidth={640}
      withRowBorders={false}
      verticalSpacing={4}
      fz="sm"
      columns={['Finding', 'Target', 'Action', 'Detail']}
    >
      {run.findings.map((f, i) => (
        // Findings have no id; their order within a run is stable.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Table.Tr key={i}>
          <Table.Td>{kindLabels[f.kind] ?? f.kind}</Table.Td>
          <Table.Td>
            <Text size="xs" ff="monospace">
              {f.target}
            </Text>
          </Table.Td>
          <Table.Td>
            <Badge variant="light" color="indigo" c="indigo.9" styles={badgeStyles}>
              {f.action}
            </Badge>
          </Table.Td>
          <Table.Td>{f.detail ?? '—'}</Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

function RunRow({ run }: { run: ReconcileRun }) {
  const ms = durationMs(run.startedAt, run.finishedAt);
  return (
    <Paper withBorder p="sm">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm" fw={500}>
          {formatDateTime(run.startedAt)}{' '}
          <Text span size="xs" c="dimmed">
            ({formatRelative(run.startedAt)})
          </Text>
        </Text>
        <Group gap="xs">
          {run.error ? (
            <Badge color="red.9" variant="filled" styles={badgeStyles}>
              Error
            </Badge>
          ) : !run.finishedAt ? (
            <Badge color="blue" c="blue.9" variant="light" styles={badgeStyles}>
              Running
            </Badge>
          ) : null}
          <Badge
            color={run.findings.length ? 'orange' : 'gray'}
            c={run.findings.length ? 'orange.9' : 'gray.8'}
            variant="light"
            styles={badgeStyles}
          >
            {run.findings.length} {run.findings.length === 1 ? 'finding' : 'findings'}
          </Badge>
          {ms !== null && (
            <Text size="xs" c="dimmed">
              took {formatDuration(ms)}
            </Text>
          )}
        </Group>
      </Group>
      {run.error && (
        <Text size="sm" c="red.9" mt="xs" ff="monospace" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
          {run.error}
        </Text>
      )}
      {run.findings.length > 0 && <FindingsTable run={run} />}
    </Paper>
  );
}

/** The reconciler's recent runs; quiet runs are hidden by default so the ones that did something stand out. */
export function ReconcileRuns() {
  const [offset, setOffset] = useState(0);
  const [onlyNotable, setOnlyNotable] = useState(true);
  const runs = useReconcileRuns({ limit: RUNS_PER_PAGE, offset });
  const shown = runs.data?.filter((r) => !onlyNotable || r.findings.length > 0 || r.error || !r.finishedAt) ?? [];
  const latest = offset === 0 ? runs.data?.[0] : undefined;

  return (
    <section aria-labelledby="reconciler-heading">
      <Group justify="space-between" align="flex-end" mb="xs" wrap="wrap">
        <Title order={2} size="h3" id="reconciler-heading">
          Reconciler
        </Title>
        <Switch label="Only runs with findings or errors" checked={onlyNotable} onChange={(e) => setOnlyNotable(e.currentTarget.checked)} />
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        Compares the database with the Docker engine: restarts what should run, stops what should not, removes orphans and requeues stuck
        operations.
        {latest && ` Last run ${formatRelative(latest.startedAt)}.`}
      </Text>
      {runs.isPending ? (
        <LoadingState label="Loading reconciler runs…" />
      ) : !runs.data ? (
        <ErrorState error={runs.error} onRetry={() => runs.refetch()} />
      ) : (
        <>
          {shown.length === 0 ? (
            <EmptyState
              title={runs.data.length === 0 ? 'No runs yet' : 'Nothing to report'}
              description={
                runs.data.length === 0
                  ? 'The worker has not run the reconciler yet.'
                  : `The ${runs.data.length} runs on this page found nothing to fix.`
              }
            />
          ) : (
            <Stack gap="sm" aria-busy={runs.isFetching}>
              {shown.map((r) => (
                <RunRow key={r.id} run={r} />
              ))}
            </Stack>
          )}
          <Group justify="space-between" mt="md">
            <Button variant="default" size="xs" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - RUNS_PER_PAGE))}>
              Newer runs
            </Button>
            <Text size="xs" c="dimmed">
              Runs {offset + 1}–{offset + runs.data.length}
            </Text>
            <Button
              variant="default"
              size="xs"
              disabled={runs.data.length < RUNS_PER_PAGE}
              onClick={() => setOffset(offset + RUNS_PER_PAGE)}
            >
              Older runs
            </Button>
          </Group>
        </>
      )}
    </section>
  );
}
