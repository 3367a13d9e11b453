import { Group } from '@mantine/core';
import { notifySuccess } from '@saas/ui';
import { useIsPlatformAdmin } from '../app-layout';
import { ReasonButton } from '../users/reason-button';
import { type AdminInstance, type AdminInstanceAction, useInstanceAction } from './instances.queries';

interface ActionSpec {
  action: AdminInstanceAction;
  label: string;
  message: string;
  done: string;
  color: string;
  /** Disruptive actions ask why (recorded in the audit trail); the API accepts them without a reason too. */
  withReason: boolean;
}

/** Which operator actions apply to the instance in its state (the API refuses the others with 409). */
function actionsFor(i: AdminInstance): ActionSpec[] {
  const actions: ActionSpec[] = [];
  const settled = i.status === 'running' || i.status === 'stopped';
  if (i.status === 'stopped' && !i.suspended) {
    actions.push({ action: 'start', label: 'Start', message: `${i.slug} starts.`, done: 'Starting', color: 'teal', withReason: false });
  }
  if (i.status === 'running') {
    actions.push({
      action: 'stop',
      label: 'Stop',
      message: `${i.slug} stops and its address shows the "stopped" page until it is started again.`,
      done: 'Stopping',
      color: 'orange',
      withReason: true,
    });
    if (!i.suspended) {
      actions.push({
        action: 'restart',
        label: 'Restart',
        message: `Odoo of ${i.slug} restarts; its users see a short interruption.`,
        done: 'Restarting',
        color: 'blue',
        withReason: false,
      });
    }
  }
  if (i.status === 'failed' && !i.readyAt) {
    actions.push({
      action: 'retry',
      label: 'Retry provisioning',
      message: `${i.slug} is provisioned again from the start.`,
      done: 'Provisioning again',
      color: 'blue',
      withReason: false,
    });
  }
  if (settled || i.status === 'failed' || i.status === 'pending' || i.status === 'provisioning') {
    actions.push({
      action: 'delete',
      label: 'Delete',
      message: `${i.slug} is deleted with its data, after a final backup. This cannot be undone from here.`,
      done: 'Deleting',
      color: 'red',
      withReason: true,
    });
  }
  return actions;
}

/** Start, stop, restart, retry and delete, for platform admins; each asks for confirmation and reports its result. */
export function InstanceActions({ instance }: { instance: AdminInstance }) {
  const canEdit = useIsPlatformAdmin();
  const act = useInstanceAction(instance.id);
  if (!canEdit) return null;
  return (
    <Group gap="xs" wrap="wrap">
      {actionsFor(instance).map((a) => (
        <ReasonButton
          key={a.action}
          color={a.color}
          title={`${a.label} ${instance.slug}`}
          message={a.message}
          confirmLabel={a.label}
          withReason={a.withReason}
          onConfirm={async (reason) => {
            await act.mutateAsync({ action: a.action, reason });
            notifySuccess(`${a.done}: the status below follows.`, instance.slug);
          }}
        >
          {a.label}
        </ReasonButton>
      ))}
    </Group>
  );
}
