import { Alert, Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ErrorState, LoadingState, notifyError, notifySuccess, PageTitle, useSession } from '@saas/ui';
import { Link } from 'react-router';
import { useResendVerification } from '../auth/auth.queries';
import { StatusBadge } from '../instances/instance-status';
import { useInstances } from '../instances/instances.queries';
import { useCurrentTenant } from '../tenants/current-tenant';

function VerifyEmailBanner({ email }: { email: string }) {
  const resend = useResendVerification();
  return (
    <Alert color="yellow" title="Verify your email" role="status">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">We sent a confirmation link to {email}. Some features stay locked until you verify it.</Text>
        <Button
          size="xs"
          variant="white"
          color="dark"
          loading={resend.isPending}
          disabled={resend.isSuccess}
          onClick={() =>
            resend.mutate(email, {
              onSuccess: () => notifySuccess(`A new link is on its way to ${email}.`, 'Email sent'),
              onError: (e) => notifyError(e),
            })
          }
        >
          {resend.isSuccess ? 'Email sent' : 'Resend the email'}
        </Button>
      </Stack>
    </Alert>
  );
}

/** The tenant's instances at a glance; a tenant without any is guided to create its first. */
function InstancesCard({ tenantId, canCreate }: { tenantId: string; canCreate: boolean }) {
  const instances = useInstances(tenantId);
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Instances
        </Title>
        {instances.data && instances.data.length > 0 && (
          <Anchor component={Link} to="/instances" size="sm">
            View all
          </Anchor>
        )}
      </Group>
      {instances.isPending ? (
        <LoadingState label="Loading instances…" />
      ) : instances.isError ? (
        <ErrorState title="Could not load the instances" error={instances.error} onRetry={() => instances.refetch()} />
      ) : instances.data.length === 0 ? (
        <Stack gap="sm" align="flex-start">
          <Text size="sm">
            {canCreate
              ? 'You have no Odoo yet. Create one: a dedicated Odoo with its own database, ready in about a minute.'
              : 'Your organization has no Odoo yet. Owners and admins can create one.'}
          </Text>
          {canCreate && (
            <Button component={Link} to="/instances/new">
              Create your first Odoo
            </Button>
          )}
        </Stack>
      ) : (
        <Stack gap="xs">
          {instances.data.slice(0, 4).map((i) => (
            <Group key={i.id} justify="space-between" wrap="nowrap">
              <Anchor component={Link} to={`/instances/${i.id}`} style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
                {i.name}
              </Anchor>
              <StatusBadge instance={i} size="sm" />
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export function DashboardPage() {
  const { me } = useSession();
  const { tenant } = useCurrentTenant();
  if (!me) return null;
  const canCreate = tenant?.role === 'owner' || tenant?.role === 'admin';

  return (
    <Stack>
      <PageTitle>Welcome, {me.user.name || me.user.email}</PageTitle>
      {!me.user.emailVerified && <VerifyEmailBanner email={me.user.email} />}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {tenant && <InstancesCard tenantId={tenant.id} canCreate={canCreate} />}
        <Card withBorder padding="lg">
          <Title order={2} size="h4" mb="xs">
            Organization
          </Title>
          {tenant ? (
            <Group gap="xs">
              <Text fw={500}>{tenant.name}</Text>
              <Badge variant="light">{tenant.role}</Badge>
            </Group>
          ) : (
            <Text size="sm">You are not a member of any organization yet.</Text>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
