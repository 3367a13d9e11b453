import { Alert, Box, Code, Group, List, Loader, Progress, Stack, Text, ThemeIcon, VisuallyHidden } from '@mantine/core';
import type { LiveMode, SeenSteps } from './instance-live';
import { operationLabel } from './instance-status';
import type { Instance } from './instances.queries';

const modeText: Record<LiveMode, string> = {
  idle: '',
  connecting: 'Connecting for live updates…',
  live: 'Live',
  polling: 'Live updates unavailable; checking every 2 seconds',
};

function StepIcon({ state }: { state: 'done' | 'current' | 'todo' }) {
  if (state === 'current') return <Loader size={16} aria-hidden />;
  return (
    <ThemeIcon size={18} radius="xl" color={state === 'done' ? 'teal.9' : 'gray.3'} aria-hidden>
      {state === 'done' ? (
        <svg width="12" height="12" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="3" aria-hidden="true">
          <title>done</title>
          <path d="M5 12l5 5L20 7" />
        </svg>
      ) : null}
    </ThemeIcon>
  );
}

type StepRow = { key: string; label: string; state: 'done' | 'current' | 'todo' };

/**
 * The API names only the step in progress, so steps are listed by name as they are seen; steps done
 * before the page was opened and steps still to come are summarized rather than invented.
 */
function stepRows(count: number, index: number, seen: Record<number, string>, current: string | null): StepRow[] {
  const rows: StepRow[] = [];
  let unnamedDone = 0;
  for (let i = 0; i < Math.min(index, count); i++) {
    const label = seen[i];
    if (label) rows.push({ key: `done-${i}`, label, state: 'done' });
    else unnamedDone++;
  }
  if (unnamedDone > 0) {
    rows.unshift({ key: 'earlier', label: unnamedDone === 1 ? '1 step done' : `${unnamedDone} steps done`, state: 'done' });
  }
  if (index < count) rows.push({ key: `current-${index}`, label: current ?? seen[index] ?? `Step ${index + 1}`, state: 'current' });
  const remaining = count - index - 1;
  if (remaining > 0) rows.push({ key: 'later', label: remaining === 1 ? '1 more step' : `${remaining} more steps`, state: 'todo' });
  return rows;
}

/** The error text the worker recorded; it can be a multi-line log excerpt. */
export function LastError({ error }: { error: string }) {
  return (
    <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: 240, overflow: 'auto' }}>
      {error}
    </Code>
  );
}

/**
 * Named steps with a progress bar for the operation in flight (provisioning, deletion, rollback),
 * announced to screen readers as they change; on `failed`, the real error.
 */
export function ProvisioningProgress({ instance, steps, mode }: { instance: Instance; steps: SeenSteps; mode: LiveMode }) {
  const { progress, status, lastError } = instance;

  if (status === 'failed') {
    return (
      <Alert color="red" title="Something went wrong" role="alert">
        <Stack gap="xs">
          <Text size="sm">
            {progress?.operation === 'delete'
              ? 'Deleting the instance failed. It will be retried; you can also try again.'
              : 'Setting up this instance failed and everything it created was removed. Delete it and try again; if it keeps failing, contact support with the error below.'}
          </Text>
          {lastError && <LastError error={lastError} />}
        </Stack>
      </Alert>
    );
  }

  const operation = progress?.operation ?? (status === 'deleting' ? 'delete' : 'provision');
  const count = progress?.stepCount ?? 0;
  const index = progress?.stepIndex ?? 0;
  const percent = progress?.percent ?? 0;
  const seen = steps[operation] ?? {};
  const rollback = operation === 'rollback';
  const waiting = !rollback && count === 0;
  const finished = count > 0 && index >= count;
  const current = waiting
    ? status === 'pending'
      ? 'Waiting for a worker to start'
      : 'Starting'
    : rollback
      ? (progress?.step ?? 'Cleaning up')
      : finished
        ? 'Done'
        : (progress?.step ?? seen[index] ?? `Step ${index + 1}`);
  const announcement = waiting || rollback ? current : finished ? 'Done' : `Step ${index + 1} of ${count}: ${current}`;

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text fw={600}>{operationLabel(operation)}</Text>
        {mode !== 'idle' && (
          <Text size="xs" c="dimmed">
            {modeText[mode]}
          </Text>
        )}
      </Group>
      <Progress
        value={waiting || rollback ? 100 : Math.max(percent, 3)}
        animated={!finished}
        striped={!finished}
        color={rollback ? 'orange' : undefined}
        size="lg"
        aria-label={`${operationLabel(operation)}: ${waiting || rollback ? current : `${percent}%`}`}
      />
      <VisuallyHidden aria-live="polite" aria-atomic="true">
        {announcement}
      </VisuallyHidden>
      {rollback && lastError && (
        <Alert color="orange" title="A step failed; undoing what was created" role="status">
          <LastError error={lastError} />
        </Alert>
      )}
      {count > 0 && !rollback && (
        <List spacing={6} listStyleType="none" aria-label="Steps" component="ol">
          {stepRows(count, index, seen, progress?.step ?? null).map((row) => (
            <List.Item key={row.key} aria-current={row.state === 'current' ? 'step' : undefined}>
              <Group gap="sm" wrap="nowrap">
                <Box w={18} style={{ display: 'flex', justifyContent: 'center' }}>
                  <StepIcon state={row.state} />
                </Box>
                <Text size="sm" fw={row.state === 'current' ? 600 : 400} c={row.state === 'todo' ? 'dimmed' : undefined}>
                  {row.label}
                  <VisuallyHidden>{row.state === 'done' ? ' (done)' : row.state === 'current' ? ' (in progress)' : ''}</VisuallyHidden>
                </Text>
              </Group>
            </List.Item>
          ))}
        </List>
      )}
      {waiting && (
        <Text size="sm" c="dimmed">
          {current}…
        </Text>
      )}
    </Stack>
  );
}
