import { Button, Group, Stack, Text, VisuallyHidden } from '@mantine/core';
import { ConfirmButton, notifySuccess } from '@saas/ui';
import { Link } from 'react-router';
import { useBilling } from '../billing/billing.queries';
import { notifyBillingError } from '../billing/billing-problem';
import { useCurrentTenant } from '../tenants/current-tenant';
import { isSuspended } from './instance-status';
import { type Instance, type InstanceAction, useInstanceAction } from './instances.queries';

const done: Record<InstanceAction, string> = {
  start: 'Starting… the status updates by itself.',
  stop: 'Stopping… its address will show a “stopped” page.',
  restart: 'Restarting… Odoo will be back in a few seconds.',
};

/** Open Odoo for everyone; start/stop/restart for owners and admins, offered per state. */
export function InstanceActions({
  instance,
  canManage,
  onDelete,
}: {
  instance: Instance;
  canManage: boolean;
  /** Shown for a failed instance, where deleting is the way forward. */
  onDelete?: () => void;
}) {
  const action = useInstanceAction(instance);
  const run = (a: InstanceAction) =>
    action.mutateAsync(a).then(
      () => notifySuccess(done[a], instance.name),
      (e) => notifyBillingError(e, `Could not ${a} ${instance.name}`),
    );
  const settledRunning = instance.status === 'running' && instance.desiredState === 'running';
  const settledStopped = instance.status === 'stopped' && instance.desiredState === 'stopped';
  const pending = action.isPending ? action.variables : undefined;

  if (isSuspended(instance)) return <SuspendedActions canManage={canManage} />;

  return (
    <Group gap="xs" wrap="wrap">
      {settledRunning && (
        <Button component="a" href={instance.url} target="_blank" rel="noopener noreferrer">
          Open Odoo <VisuallyHidden>(new tab)</VisuallyHidden>
        </Button>
      )}
      {canManage && settledStopped && (
        <Button variant="light" onClick={() => run('start')} loading={pending === 'start'} disabled={action.isPending}>
          Start
        </Button>
      )}
      {canManage && instance.status === 'failed' && onDelete && (
        <Button color="red.9" variant="outline" onClick={onDelete}>
          Delete…
        </Button>
      )}
      {canManage && settledRunning && (
        <>
          <Button variant="default" onClick={() => run('restart')} loading={pending === 'restart'} disabled={action.isPending}>
            Restart
          </Button>
          <ConfirmButton
            size="sm"
            // orange.9 on white is 4.3:1, under the 4.5:1 text needs; red.9 is 5.9:1.
            color="red.9"
            variant="outline"
            title={`Stop ${instance.name}?`}
            message="Odoo stops and its address shows a “stopped” page until you start it again. Your data stays."
            confirmLabel="Stop"
            disabled={action.isPending}
            onConfirm={() => action.mutateAsync('stop').then(() => notifySuccess(done.stop, instance.name))}
          >
            Stop
          </ConfirmButton>
        </>
      )}
    </Group>
  );
}

/**
 * A suspended instance cannot be started or restarted until the subscription is settled: the controls
 * stay visible but disabled, with the reason, and owners and admins get the way to billing.
 */
function SuspendedActions({ canManage }: { canManage: boolean }) {
  const { tenant } = useCurrentTenant();
  // An operator's suspension is not lifted by paying: no way to billing then.
  const byOperator = useBilling(tenant?.id).data?.notices.some((n) => n.kind === 'operator-suspended') ?? false;
  return (
    <Stack gap={4} align="flex-end">
      {canManage && (
        <Group gap="xs" wrap="wrap">
          <Button variant="light" disabled aria-describedby="suspended-reason">
            Start
          </Button>
          <Button variant="default" disabled aria-describedby="suspended-reason">
            Restart
          </Button>
          {!byOperator && (
            <Button component={Link} to="/billing">
              Go to billing
            </Button>
          )}
        </Group>
      )}
      <Text size="sm" c="red.9" id="suspended-reason">
        {byOperator
          ? 'Suspended by the platform operator. It starts again once they lift the suspension.'
          : 'Suspended because the subscription is unpaid. It starts again once payment is settled.'}
      </Text>
    </Stack>
  );
}
