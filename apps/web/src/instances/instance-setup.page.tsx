import { Anchor, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { LoadingState, PageTitle } from '@saas/ui';
import { useEffect, useRef } from 'react';
import { Link, useParams } from 'react-router';
import { useCurrentTenant } from '../tenants/current-tenant';
import { AdminCredentials } from './credentials';
import { useInstanceLive } from './instance-live';
import { InstanceNotFound } from './instance-not-found';
import { isBusy, StatusBadge } from './instance-status';
import { useInstance } from './instances.queries';
import { OnboardingSteps } from './onboarding-steps';
import { ProvisioningProgress } from './provisioning-progress';

/** After "Create": provisioning live, step by step, then "your Odoo is ready" with the one-time login. */
export function InstanceSetupPage() {
  const { instanceId = '' } = useParams();
  const { tenant } = useCurrentTenant();
  const query = useInstance(instanceId);
  const instance = query.data;
  const live = useInstanceLive(instanceId, Boolean(instance && isBusy(instance)));
  const readyHeading = useRef<HTMLHeadingElement>(null);
  const ready = instance?.status === 'running' || instance?.status === 'stopped';

  // Announce the outcome by moving focus to it (the progress region was polite; this is the result).
  useEffect(() => {
    if (ready) readyHeading.current?.focus();
  }, [ready]);

  if (query.isPending) return <LoadingState label="Loading the instance…" />;
  if (query.isError) return <InstanceNotFound error={query.error} onRetry={() => query.refetch()} />;
  if (!instance) return null;

  const active = ready ? 3 : 1;

  return (
    <Stack gap="lg" maw={720}>
      <PageTitle actions={<StatusBadge instance={instance} size="lg" />}>{instance.name}</PageTitle>
      <OnboardingSteps active={active} />
      {ready ? (
        <Paper withBorder p={{ base: 'md', sm: 'lg' }}>
          <Stack>
            <Title order={2} size="h3" ref={readyHeading} tabIndex={-1}>
              Your Odoo is ready
            </Title>
            <Text>
              {instance.name} runs at{' '}
              <Anchor href={instance.url} target="_blank" rel="noopener noreferrer" fw={600} style={{ wordBreak: 'break-all' }}>
                {instance.url}
              </Anchor>
              .
            </Text>
            <Group>
              <Button component="a" href={instance.url} target="_blank" rel="noopener noreferrer">
                Open Odoo (new tab)
              </Button>
              <Button component={Link} to={`/instances/${instance.id}`} variant="default">
                Manage this instance
              </Button>
            </Group>
            <Title order={3} size="h4" mt="sm">
              Administrator login
            </Title>
            <AdminCredentials instance={instance} role={tenant?.role ?? 'member'} />
          </Stack>
        </Paper>
      ) : (
        <Paper withBorder p={{ base: 'md', sm: 'lg' }}>
          <Stack>
            <ProvisioningProgress instance={instance} steps={live.steps} mode={live.mode} />
            {instance.status === 'failed' ? (
              <Group>
                <Button component={Link} to={`/instances/${instance.id}?tab=settings`} color="red" variant="light">
                  Delete this instance
                </Button>
                <Button component={Link} to="/instances/new" variant="default">
                  Create another one
                </Button>
              </Group>
            ) : instance.status === 'deleted' || instance.status === 'deleting' ? (
              <Button component={Link} to="/instances" variant="default" w="fit-content">
                Back to instances
              </Button>
            ) : (
              <Text size="sm" c="dimmed">
                You can leave this page; setting up continues and the instance list shows its progress.
              </Text>
            )}
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
