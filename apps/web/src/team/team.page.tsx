import { Paper, Stack, Title } from '@mantine/core';
import { EmptyState, PageTitle, useSession } from '@saas/ui';
import { useCurrentTenant } from '../tenants/current-tenant';
import { InvitationsPanel } from './invitations-panel';
import { MembersTable } from './members-table';
import { TransferOwnership } from './transfer-ownership';

export function TeamPage() {
  const { me } = useSession();
  const { tenant } = useCurrentTenant();
  if (!me) return null;
  if (!tenant) {
    return (
      <>
        <PageTitle>Team</PageTitle>
        <EmptyState title="No organization" description="You are not a member of any organization." />
      </>
    );
  }
  const canManage = tenant.role === 'owner' || tenant.role === 'admin';

  return (
    <Stack gap="lg">
      <PageTitle>Team of {tenant.name}</PageTitle>
      <Paper withBorder p="md">
        <Title order={2} size="h3" mb="sm">
          Members
        </Title>
        <MembersTable tenantId={tenant.id} canManage={canManage} currentUserId={me.user.id} />
      </Paper>
      {canManage && (
        <Paper withBorder p="md">
          <InvitationsPanel tenantId={tenant.id} />
        </Paper>
      )}
      {tenant.role === 'owner' && (
        <Paper withBorder p="md">
          <TransferOwnership tenantId={tenant.id} tenantName={tenant.name} currentUserId={me.user.id} />
        </Paper>
      )}
    </Stack>
  );
}
