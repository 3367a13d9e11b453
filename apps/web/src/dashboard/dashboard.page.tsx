import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifyError, notifySuccess, PageTitle, useSession } from '@saas/ui';
import { useResendVerification } from '../auth/auth.queries';
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
            resend.mutate(undefined, {
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

export function DashboardPage() {
  const { me } = useSession();
  const { tenant } = useCurrentTenant();
  if (!me) return null;

  return (
    <Stack>
      <PageTitle>Welcome, {me.user.name || me.user.email}</PageTitle>
      {!me.user.emailVerified && <VerifyEmailBanner email={me.user.email} />}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
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
        <Card withBorder padding="lg">
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h4">
              Instances
            </Title>
            <Badge color="gray" variant="outline">
              Coming soon
            </Badge>
          </Group>
          <Text size="sm">Your Odoo instances will appear here: create one, open it, and manage backups and domains.</Text>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
