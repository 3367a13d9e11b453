import { Text } from '@mantine/core';
import { EmptyState, ErrorState, LoadingState, PageTitle } from '@saas/ui';
import { useCurrentTenant } from '../tenants/current-tenant';
import { BackupActions, canManageBackups } from './backup-actions';
import { useTenantBackups } from './backups.queries';
import { BackupsTable } from './backups-table';

/**
 * Every backup of the organization, final backups of deleted instances included (kept for their retention
 * period, to download). Restoring and copying happen on an instance's own Backups tab.
 */
export function BackupsPage() {
  const { tenant } = useCurrentTenant();
  const backups = useTenantBackups(tenant?.id);

  if (!tenant) {
    return (
      <>
        <PageTitle>Backups</PageTitle>
        <EmptyState title="No organization" description="You are not a member of any organization." />
      </>
    );
  }

  return (
    <>
      <PageTitle>Backups</PageTitle>
      <Text size="sm" mb="md">
        The backups of all instances of {tenant.name}, including the final backup taken before an instance was deleted. Open an instance’s
        Backups tab to back it up, restore it or make a copy.
        {!canManageBackups(tenant.role) && ' Owners and admins can download them.'}
      </Text>
      {backups.isPending ? (
        <LoadingState label="Loading the backups…" />
      ) : backups.isError ? (
        <ErrorState title="Could not load the backups" error={backups.error} onRetry={() => backups.refetch()} />
      ) : backups.data.length === 0 ? (
        <EmptyState title="No backups yet" description="Each instance is backed up every night; backups appear here." />
      ) : (
        <BackupsTable
          backups={backups.data}
          label="Backups of the organization"
          showInstance
          actions={canManageBackups(tenant.role) ? (b) => <BackupActions backup={b} role={tenant.role} /> : undefined}
        />
      )}
    </>
  );
}
