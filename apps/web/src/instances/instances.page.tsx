import { Anchor, Button, Card, Group, Progress, SimpleGrid, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { EmptyState, ErrorState, formatDate, LoadingState, PageTitle } from '@saas/ui';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useCurrentTenant } from '../tenants/current-tenant';
import { displayStatus, isBusy, isSuspended, operationLabel, StatusBadge } from './instance-status';
import { type Instance, useInstances } from './instances.queries';

/** Announces status changes of the listed instances to screen readers ("Acme is now Running"). */
function useStatusAnnouncements(instances: Instance[] | undefined): string {
  const previous = useRef<Map<string, string> | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    if (!instances) return;
    const now = new Map(instances.map((i) => [i.id, displayStatus(i).label]));
    if (previous.current) {
      const changes = instances
        .filter((i) => previous.current?.has(i.id) && previous.current.get(i.id) !== now.get(i.id))
        .map((i) => `${i.name} is now ${now.get(i.id)?.toLowerCase()}.`);
      if (changes.length > 0) setMessage(changes.join(' '));
    }
    previous.current = now;
  }, [instances]);
  return message;
}

export function InstanceCard({ instance }: { instance: Instance }) {
  const busy = isBusy(instance);
  const { progress } = instance;
  return (
    <Card withBorder padding="md" component="article" aria-labelledby={`instance-${instance.id}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={2} size="h4" id={`instance-${instance.id}`} style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
            <Anchor component={Link} to={`/instances/${instance.id}`} c="inherit" fw={600}>
              {instance.name}
            </Anchor>
          </Title>
          <StatusBadge instance={instance} />
        </Group>
        <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
          {instance.url.replace(/^https?:\/\//, '')}
        </Text>
        <Text size="sm" c="dimmed">
          Odoo {instance.version} · created {formatDate(instance.createdAt)}
        </Text>
        {busy && progress && progress.stepCount > 0 && (
          <Stack gap={4}>
            <Text size="xs" c="dimmed">
              {operationLabel(progress.operation)}: {progress.step ?? '…'} ({progress.percent}%)
            </Text>
            <Progress value={Math.max(progress.percent, 3)} size="sm" animated aria-hidden />
          </Stack>
        )}
        {isSuspended(instance) && (
          <Text size="sm" c="red.9">
            Suspended: the subscription is unpaid.{' '}
            <Anchor component={Link} to="/billing" size="sm" c="red.9" fw={600} underline="always">
              Billing
            </Anchor>
          </Text>
        )}
        {instance.status === 'failed' && instance.lastError && (
          <Text size="sm" c="red.9" lineClamp={2}>
            {instance.lastError}
          </Text>
        )}
        <Group gap="xs" mt={4}>
          <Button component={Link} to={`/instances/${instance.id}`} size="xs" variant="default" aria-label={`Manage ${instance.name}`}>
            Manage
          </Button>
          {instance.status === 'running' && instance.desiredState === 'running' && !isSuspended(instance) && (
            <Button
              component="a"
              href={instance.url}
              target="_blank"
              rel="noopener noreferrer"
              size="xs"
              aria-label={`Open Odoo of ${instance.name} (new tab)`}
            >
              Open Odoo
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}

export function InstancesPage() {
  const { tenant } = useCurrentTenant();
  const instances = useInstances(tenant?.id);
  const announcement = useStatusAnnouncements(instances.data);
  const canCreate = tenant?.role === 'owner' || tenant?.role === 'admin';

  if (!tenant) {
    return (
      <>
        <PageTitle>Instances</PageTitle>
        <EmptyState title="No organization" description="You are not a member of any organization." />
      </>
    );
  }

  return (
    <>
      <PageTitle
        actions={
          canCreate && instances.data && instances.data.length > 0 ? (
            <Button component={Link} to="/instances/new">
              New instance
            </Button>
          ) : undefined
        }
      >
        Instances
      </PageTitle>
      <VisuallyHidden role="status" aria-live="polite">
        {announcement}
      </VisuallyHidden>
      {instances.isPending ? (
        <LoadingState label="Loading instances…" />
      ) : instances.isError ? (
        <ErrorState title="Could not load the instances" error={instances.error} onRetry={() => instances.refetch()} />
      ) : instances.data.length === 0 ? (
        <EmptyState
          title="No Odoo yet"
          description={
            canCreate
              ? 'Create your first instance: a dedicated Odoo with its own database, ready in about a minute.'
              : `${tenant.name} has no instance yet. Owners and admins can create one.`
          }
          action={
            canCreate ? (
              <Button component={Link} to="/instances/new" size="md">
                Create your first Odoo
              </Button>
            ) : undefined
          }
        />
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }}>
          {instances.data.map((i) => (
            <InstanceCard key={i.id} instance={i} />
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
