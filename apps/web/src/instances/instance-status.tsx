import { Badge, Loader } from '@mantine/core';
import type { Instance } from './instances.queries';

// `suspended`: the tenant's subscription is unpaid, so the instance is kept stopped whatever its owner asked.
type StatusFields = Pick<Instance, 'status' | 'desiredState'> & Partial<Pick<Instance, 'suspended'>>;

/** Kept stopped by billing (unpaid subscription); settled states only, a deletion in flight still shows as such. */
export const isSuspended = (i: StatusFields) => i.suspended === true && ['running', 'stopped', 'failed'].includes(i.status);

/** What the user should read: the status, or the change in flight (a stop is requested while still running). */
export function displayStatus(i: StatusFields): { label: string; color: string; busy: boolean } {
  if (isSuspended(i)) return { label: 'Suspended', color: 'red', busy: false };
  if (i.status === 'running' && i.desiredState === 'stopped') return { label: 'Stopping', color: 'orange', busy: true };
  if (i.status === 'stopped' && i.desiredState === 'running') return { label: 'Starting', color: 'blue', busy: true };
  switch (i.status) {
    case 'pending':
      return { label: 'Queued', color: 'blue', busy: true };
    case 'provisioning':
      return { label: 'Setting up', color: 'blue', busy: true };
    case 'running':
      return { label: 'Running', color: 'teal', busy: false };
    case 'stopped':
      return { label: 'Stopped', color: 'gray', busy: false };
    case 'failed':
      return { label: 'Failed', color: 'red', busy: false };
    case 'deleting':
      return { label: 'Deleting', color: 'orange', busy: true };
    case 'deleted':
      return { label: 'Deleted', color: 'gray', busy: false };
  }
}

/** Something is happening that will change the status by itself. */
export function isBusy(i: StatusFields): boolean {
  return displayStatus(i).busy;
}

export function StatusBadge({ instance, size = 'md' }: { instance: StatusFields; size?: 'sm' | 'md' | 'lg' }) {
  const s = displayStatus(instance);
  return (
    <Badge
      // The darkest shades keep text contrast above 4.5:1 (white on filled, dark on light).
      color={s.busy ? s.color : s.color === 'gray' ? 'gray.7' : `${s.color}.9`}
      c={s.busy ? `${s.color}.9` : undefined}
      variant={s.busy ? 'light' : 'filled'}
      size={size}
      leftSection={s.busy ? <Loader size={10} color={`${s.color}.9`} aria-hidden /> : undefined}
      styles={{ root: { textTransform: 'none' } }}
    >
      {s.label}
    </Badge>
  );
}

/** Operation names the API reports in `progress.operation`. */
export function operationLabel(operation: string): string {
  switch (operation) {
    case 'provision':
      return 'Setting up your Odoo';
    case 'delete':
      return 'Deleting the instance';
    case 'rollback':
      return 'Cleaning up after a failure';
    case 'move':
      return 'Moving to another server';
    default:
      return operation.charAt(0).toUpperCase() + operation.slice(1);
  }
}
