import { Alert, Paper, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { EmptyState, ErrorState, formatDateTime, LoadingState } from '@saas/ui';
import { useEffect, useRef, useState } from 'react';
import type { Instance } from '../instances/instances.queries';
import type { TenantMembership } from '../tenants/current-tenant';
import { BackupActions, canManageBackups } from './backup-actions';
import { BackUpNow, ScheduleControl } from './backup-controls';
import { JobProgress, statusLabel } from './backup-status';
import { BackupUpload } from './backup-upload';
import {
  type Backup,
  type InstanceBackups as BackupsState,
  hasActiveWork,
  isRestoreActive,
  type Restore,
  useInstanceBackups,
} from './backups.queries';
import { useBackupsLive } from './backups-live';
import { BackupsTable, backupName } from './backups-table';
import { CopyDialog } from './copy-dialog';
import { RestoreDialog } from './restore-dialog';

/** The latest restore, while it runs and after it ended (its real error when it failed). */
function RestoreState({ restore, backups }: { restore: Restore; backups: Backup[] }) {
  const source = backups.find((b) => b.id === restore.backupId);
  const from = source ? backupName(source) : 'a backup';
  if (isRestoreActive(restore)) {
    return (
      <Alert color="blue" variant="light" title={`Restoring ${from}`}>
        <Stack gap="xs">
          <Text size="sm">
            A safety backup is taken first; the instance is then stopped, replaced and started again. This carries on if you leave the page.
          </Text>
          <JobProgress progress={restore.progress} label="Restore progress" />
        </Stack>
      </Alert>
    );
  }
  if (restore.status === 'failed') {
    return (
      <Alert color="red" variant="light" title="The restore failed">
        <Stack gap="xs">
          <Text size="sm" c="red.9" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {restore.error ?? 'The platform did not record a cause.'}
          </Text>
          <Text size="sm">
            The instance was put back as it was before the restore ({formatDateTime(restore.finishedAt)}). Nothing was lost.
          </Text>
        </Stack>
      </Alert>
    );
  }
  return (
    <Alert color="teal" variant="light" title="Restore completed">
      <Text size="sm">
        Restored from {from} on {formatDateTime(restore.finishedAt)}.
        {restore.safetyBackupId ? ' The instance as it was before is kept as a safety backup below.' : ''}
      </Text>
    </Alert>
  );
}

/** What a screen reader hears when a backup or restore changes state while the tab is open. */
function useAnnouncements(state: BackupsState | undefined): string {
  const seen = useRef<Map<string, string> | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    if (!state) return;
    const now = new Map<string, string>([
      ...state.backups.map((b) => [b.id, b.status] as [string, string]),
      ...state.restores.map((r) => [r.id, r.status] as [string, string]),
    ]);
    const before = seen.current;
    seen.current = now;
    if (!before) return;
    const changes = [
      ...state.backups.filter((b) => before.get(b.id) !== b.status).map((b) => `Backup ${statusLabel(b.status).toLowerCase()}.`),
      ...state.restores.filter((r) => before.get(r.id) !== r.status).map((r) => `Restore ${statusLabel(r.status).toLowerCase()}.`),
    ];
    if (changes.length > 0) setMessage(changes.join(' '));
  }, [state]);
  return message;
}

/** The Backups tab of an instance: schedule, back up now, upload, the list with its actions, and restores. */
export function InstanceBackups({ instance, role }: { instance: Instance; role: TenantMembership['role'] }) {
  const query = useInstanceBackups(instance.id);
  const state = query.data;
  const mode = useBackupsLive(instance.id, hasActiveWork(state));
  const announcement = useAnnouncements(state);
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [copying, setCopying] = useState<Backup | null>(null);
  const canManage = canManageBackups(role);

  if (query.isPending) return <LoadingState label="Loading the backups…" />;
  if (query.isError || !state) return <ErrorState title="Could not load the backups" error={query.error} onRetry={() => query.refetch()} />;

  const latestRestore = state.restores[0];
  const restoreRunning = state.restores.some(isRestoreActive);
  const settled = instance.status === 'running' || instance.status === 'stopped';
  const blocked = restoreRunning
    ? 'A restore is in progress.'
    : settled
      ? null
      : 'Backups can be made once the instance is running or stopped.';

  return (
    <Stack gap="lg">
      <VisuallyHidden role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </VisuallyHidden>
      {latestRestore && <RestoreState restore={latestRestore} backups={state.backups} />}
      <Paper withBorder p="md">
        <Stack gap="md">
          <Title order={2} size="h4">
            Backups
          </Title>
          <Text size="sm">
            Each backup holds the database, the files and a manifest, in the zip format of Odoo’s own database manager: you can restore it
            here or in any Odoo {instance.version}.
          </Text>
          <ScheduleControl instanceId={instance.id} schedule={state.schedule} canManage={canManage} />
          {canManage && <BackUpNow instanceId={instance.id} schedule={state.schedule} blockedReason={blocked} />}
          {!canManage && (
            <Text size="sm" c="dimmed">
              Owners and admins of your organization make, download and restore backups.
            </Text>
          )}
        </Stack>
      </Paper>
      <section aria-labelledby="backup-list-title">
        <Title order={3} size="h5" id="backup-list-title" mb="xs">
          All backups of {instance.name}
          {mode === 'polling' && (
            <Text span size="xs" c="dimmed" fw={400}>
              {' '}
              · updating every 2 s
            </Text>
          )}
        </Title>
        {state.backups.length === 0 ? (
          <EmptyState title="No backups yet" description={`The first scheduled backup runs ${formatDateTime(state.schedule.nextAt)}.`} />
        ) : (
          <BackupsTable
            backups={state.backups}
            label={`Backups of ${instance.name}`}
            actions={
              canManage
                ? (b) => (
                    <BackupActions
                      backup={b}
                      role={role}
                      restorable={settled && !restoreRunning}
                      onRestore={setRestoring}
                      onCopy={setCopying}
                    />
                  )
                : undefined
            }
          />
        )}
      </section>
      {canManage && (
        <Paper withBorder p="md">
          <BackupUpload
            instanceId={instance.id}
            odooVersion={instance.version}
            maxBytes={state.schedule.uploadMaxBytes}
            disabledReason={blocked}
          />
        </Paper>
      )}
      {canManage && (
        <>
          <RestoreDialog
            instance={instance}
            backup={restoring}
            onClose={() => setRestoring(null)}
            // The restore's progress shows at the top of the tab.
            onStarted={() => window.scrollTo({ top: 0, behavior: 'smooth' })}
          />
          <CopyDialog tenantId={instance.tenantId} backup={copying} onClose={() => setCopying(null)} />
        </>
      )}
    </Stack>
  );
}
