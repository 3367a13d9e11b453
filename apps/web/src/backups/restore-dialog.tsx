import { List, Text } from '@mantine/core';
import { formatDateTime } from '@saas/ui';
import { ConfirmBySubdomain } from '../instances/confirm-by-subdomain';
import type { Instance } from '../instances/instances.queries';
import { kindLabel } from './backup-status';
import { type Backup, useRestoreBackup } from './backups.queries';

export interface RestoreDialogProps {
  instance: Instance;
  backup: Backup | null;
  onClose: () => void;
  /** After the restore was accepted (202): the tab follows it live. */
  onStarted: () => void;
}

/** Restoring in place replaces everything in the instance: explained, then confirmed by typing the subdomain. */
export function RestoreDialog({ instance, backup, onClose, onStarted }: RestoreDialogProps) {
  const restore = useRestoreBackup(instance.id);

  const dismiss = () => {
    restore.reset();
    onClose();
  };

  return (
    <ConfirmBySubdomain
      opened={backup !== null}
      onClose={dismiss}
      title={`Restore ${instance.name} from this backup?`}
      size="lg"
      slug={instance.slug}
      submitLabel="Restore this backup"
      pending={restore.isPending}
      error={restore.error}
      errorTitle="The restore was not started"
      onConfirm={() => {
        if (!backup) return;
        restore.mutate(backup.id, {
          onSuccess: () => {
            dismiss();
            onStarted();
          },
        });
      }}
    >
      {backup && (
        <>
          <Text size="sm">
            Backup of <strong>{formatDateTime(backup.completedAt ?? backup.createdAt)}</strong> ({kindLabel(backup.kind).toLowerCase()},
            Odoo {backup.odooVersion}).
          </Text>
          <List size="sm" type="ordered" spacing={4}>
            <List.Item>A safety backup of the instance as it is now is taken first, so nothing is lost.</List.Item>
            <List.Item>The instance is stopped: {instance.url} is unavailable during the restore.</List.Item>
            <List.Item>Its database and files are replaced by those of the backup.</List.Item>
            <List.Item>It is started again. If anything fails, it is put back as it was.</List.Item>
          </List>
          <Text size="sm">Everything changed in the instance since this backup was taken is replaced.</Text>
        </>
      )}
    </ConfirmBySubdomain>
  );
}
