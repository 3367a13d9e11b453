import { Button, Group, Paper, Table, Text } from '@mantine/core';
import { ConfirmButton, formatBytes, formatDate, formatDateTime, notifyError, notifySuccess, PageTitle, QueryTable } from '@saas/ui';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { useTenantNames } from '../instances/instances.queries';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { StatusBadge, type StatusLook } from '../shared/status-badge';
import { FilteredEmptyState, rawStatusOptions, StatusFilter, useStatusParams } from '../shared/status-filter';
import {
  type AdminBackup,
  BACKUP_STATUSES,
  type BackupStatus,
  isBackupStatus,
  useAdminBackups,
  useAdminDeleteBackup,
  useAdminDownloadBackup,
} from './backups.queries';

const statusOptions = rawStatusOptions(BACKUP_STATUSES);

const look: Record<BackupStatus, StatusLook> = {
  queued: { color: 'blue', busy: true },
  running: { color: 'blue', busy: true },
  completed: { color: 'teal', busy: false },
  failed: { color: 'red', busy: false },
  deleted: { color: 'gray', busy: false },
};

function Actions({ backup }: { backup: AdminBackup }) {
  const download = useAdminDownloadBackup();
  const remove = useAdminDeleteBackup();
  const name = `the backup of ${backup.instanceName} of ${formatDateTime(backup.createdAt)}`;
  const active = backup.status === 'queued' || backup.status === 'running';
  return (
    <Group gap="xs" wrap="nowrap">
      {backup.status === 'completed' && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Download ${name}`}
          loading={download.isPending}
          onClick={() => download.mutate(backup.id, { onError: (e) => notifyError(e, 'Could not download the backup') })}
        >
          Download
        </Button>
      )}
      {!active && backup.status !== 'deleted' && (
        <ConfirmButton
          title="Delete this backup?"
          message={`${name.charAt(0).toUpperCase()}${name.slice(1)} (${backup.kind}) is deleted from storage for good. The tenant can no longer download or restore it.`}
          confirmLabel="Delete backup"
          aria-label={`Delete ${name}`}
          color="red.9"
          variant="outline"
          onConfirm={async () => {
            await remove.mutateAsync(backup.id);
            notifySuccess('The backup was deleted.');
          }}
        >
          Delete
        </ConfirmButton>
      )}
    </Group>
  );
}

// Filter and page live in the URL, like the instances list.
export function BackupsPage() {
  const { params, offset, update, setOffset, status, setStatus } = useStatusParams(isBackupStatus);
  const tenantId = params.get('tenantId') ?? undefined;
  const backups = useAdminBackups({ status, tenantId, limit: PAGE_SIZE, offset });
  const tenantNames = useTenantNames();
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <PageTitle>Backups</PageTitle>
      <ReadOnlyHint />
      <Paper withBorder p="md">
        <Group align="flex-end" justify="space-between" mb="md" wrap="wrap">
          <Group align="flex-end" gap="sm" wrap="wrap">
            <StatusFilter status={status} onChange={setStatus} allLabel="All (except deleted)" options={statusOptions} />
            {tenantId && (
              <Button variant="default" size="xs" onClick={() => update({ tenantId: '', offset: '' })}>
                Show all tenants ({tenantNames.data?.get(tenantId) ?? tenantId.slice(0, 8)} only now)
              </Button>
            )}
          </Group>
          <Button variant="default" size="xs" onClick={() => backups.refetch()} loading={backups.isFetching}>
            Refresh
          </Button>
        </Group>
        <QueryTable
          query={backups}
          keepDataOnError
          empty={
            <FilteredEmptyState
              title="No backups"
              description={status ? `No backup is ${status}.` : 'No backup has been made yet.'}
              onShowAll={status && (() => setStatus(undefined))}
            />
          }
          label="Backups"
          minWidth={canEdit ? 1100 : 940}
          striped
          highlightOnHover
          columns={['Instance', 'Tenant', 'Kind', 'Status', 'Size', 'Created', 'Kept until', canEdit && { label: 'Actions', hidden: true }]}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(b) => (
            <Table.Tr key={b.id}>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {b.instanceName}
                </Text>
                <Text size="xs" c="dimmed" ff="monospace">
                  {b.instanceSlug}
                  {b.instanceDeleted ? ' (deleted)' : ''} · Odoo {b.odooVersion}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{tenantNames.data?.get(b.tenantId) ?? '—'}</Text>
                <Text size="xs" c="dimmed" ff="monospace" title={b.tenantId}>
                  {b.tenantId.slice(0, 8)}
                </Text>
              </Table.Td>
              <Table.Td>{b.kind}</Table.Td>
              <Table.Td>
                <StatusBadge status={b.status} look={look[b.status]} percent={b.progress?.percent} />
                {b.status === 'failed' && b.error && (
                  <Text size="xs" c="red.9" maw={320} style={{ overflowWrap: 'anywhere' }}>
                    {b.error}
                  </Text>
                )}
                {b.progress && (b.status === 'running' || b.status === 'queued') && (
                  <Text size="xs" c="dimmed">
                    {b.progress.step}
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatBytes(b.sizeBytes)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <span title={formatDateTime(b.createdAt)}>{formatDate(b.createdAt)}</span>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(b.keepUntil)}</Table.Td>
              {canEdit && (
                <Table.Td>
                  <Actions backup={b} />
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
