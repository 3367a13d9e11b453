import { Button } from '@mantine/core';
import { ConfirmButton, notifyError, notifySuccess } from '@saas/ui';
import type { TenantMembership } from '../tenants/current-tenant';
import { type Backup, isBackupActive, useDeleteBackup, useDownloadBackup } from './backups.queries';
import { backupName } from './backups-table';

type Role = TenantMembership['role'];

export const canManageBackups = (role: Role | undefined) => role === 'owner' || role === 'admin';

export interface BackupActionsProps {
  backup: Backup;
  role: Role;
  /** Restore in place and create a copy, offered on an instance's own tab (not for deleted instances). */
  onRestore?: (backup: Backup) => void;
  onCopy?: (backup: Backup) => void;
  /** The instance can be restored right now (running or stopped, nothing else in flight). */
  restorable?: boolean;
}

/**
 * Download, Restore here, Create a copy (owners and admins) and Delete (owners), as the API allows them.
 * A deleted instance's final backup can only be downloaded: it is what remains of that instance.
 */
export function BackupActions({ backup, role, onRestore, onCopy, restorable = true }: BackupActionsProps) {
  const download = useDownloadBackup();
  const remove = useDeleteBackup(backup);
  const name = backupName(backup);
  const completed = backup.status === 'completed';
  const manager = canManageBackups(role);

  return (
    <>
      {manager && completed && (
        <Button
          size="xs"
          variant="default"
          loading={download.isPending && download.variables === backup.id}
          aria-label={`Download ${name}`}
          onClick={() => download.mutate(backup.id, { onError: (e) => notifyError(e, 'Could not download the backup') })}
        >
          Download
        </Button>
      )}
      {manager && completed && !backup.instanceDeleted && onRestore && (
        <Button size="xs" variant="default" disabled={!restorable} aria-label={`Restore here: ${name}`} onClick={() => onRestore(backup)}>
          Restore here
        </Button>
      )}
      {manager && completed && onCopy && (
        <Button size="xs" variant="default" aria-label={`Create a copy from ${name}`} onClick={() => onCopy(backup)}>
          Create a copy
        </Button>
      )}
      {role === 'owner' && !isBackupActive(backup) && !backup.instanceDeleted && (
        <ConfirmButton
          title="Delete this backup?"
          message={`${name.charAt(0).toUpperCase()}${name.slice(1)} of ${backup.instanceName} is deleted for good; it can no longer be downloaded or restored.`}
          confirmLabel="Delete backup"
          aria-label={`Delete ${name}`}
          color="red.9"
          variant="outline"
          onConfirm={async () => {
            await remove.mutateAsync();
            notifySuccess('The backup was deleted.');
          }}
        >
          Delete
        </ConfirmButton>
      )}
    </>
  );
}
