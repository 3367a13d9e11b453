import { Badge, Loader, Progress, Stack, Text } from '@mantine/core';
import { formatBytes } from '@saas/ui';
import type { Backup, BackupKind, BackupStatus, Restore } from './backups.queries';

const KIND_LABELS: Record<BackupKind, string> = {
  scheduled: 'Scheduled',
  manual: 'Manual',
  safety: 'Safety copy before a restore',
  final: 'Final, before deletion',
  upload: 'Uploaded',
};

export const kindLabel = (kind: BackupKind) => KIND_LABELS[kind];

const STATUS: Record<BackupStatus | Restore['status'], { label: string; color: string; busy: boolean }> = {
  queued: { label: 'Queued', color: 'blue', busy: true },
  running: { label: 'In progress', color: 'blue', busy: true },
  completed: { label: 'Completed', color: 'teal', busy: false },
  succeeded: { label: 'Succeeded', color: 'teal', busy: false },
  failed: { label: 'Failed', color: 'red', busy: false },
  deleted: { label: 'Deleted', color: 'gray', busy: false },
};

export const statusLabel = (status: BackupStatus | Restore['status']) => STATUS[status].label;

/** Same look as the instance badges: light with a spinner while the worker is on it, filled and dark once settled. */
export function JobStatusBadge({ status }: { status: BackupStatus | Restore['status'] }) {
  const s = STATUS[status];
  return (
    <Badge
      color={s.busy ? s.color : s.color === 'gray' ? 'gray.7' : `${s.color}.9`}
      c={s.busy ? `${s.color}.9` : undefined}
      variant={s.busy ? 'light' : 'filled'}
      leftSection={s.busy ? <Loader size={10} color={`${s.color}.9`} aria-hidden /> : undefined}
      styles={{ root: { textTransform: 'none', minWidth: 'max-content' } }}
    >
      {s.label}
    </Badge>
  );
}

/** What the worker is doing and how far it is; the bar is labelled for screen readers. */
export function JobProgress({ progress, label }: { progress: Backup['progress']; label: string }) {
  const percent = progress?.percent ?? 0;
  return (
    <Stack gap={4} miw={160}>
      <Text size="xs" c="dimmed">
        {progress?.step ?? 'Waiting for a worker…'} ({percent}%)
      </Text>
      <Progress value={Math.max(percent, 3)} size="sm" animated aria-label={label} aria-valuenow={percent} />
    </Stack>
  );
}

/** "1.2 MB · 42 files · 87 modules": what is inside a completed backup. */
export function contentsLine(b: Backup): string {
  const parts = [`database ${formatBytes(b.databaseBytes)}`];
  if (b.filestoreFiles !== null)
    parts.push(`${b.filestoreFiles} ${b.filestoreFiles === 1 ? 'file' : 'files'} (${formatBytes(b.filestoreBytes)})`);
  if (b.modules !== null) parts.push(`${b.modules} modules`);
  return parts.join(' · ');
}
