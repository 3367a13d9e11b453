import { Badge, Tooltip } from '@mantine/core';
import { badgeStyles } from '../shared/badge-styles';
import { StatusBadge, type StatusLook } from '../shared/status-badge';
import type { AdminInstance, InstanceStatus } from './instances.queries';

export const INSTANCE_STATUS_LOOK: Record<InstanceStatus, StatusLook> = {
  pending: { color: 'blue', busy: true },
  provisioning: { color: 'blue', busy: true },
  running: { color: 'teal', busy: false },
  stopped: { color: 'gray', busy: false },
  failed: { color: 'red', busy: false },
  deleting: { color: 'orange', busy: true },
  deleted: { color: 'gray', busy: false },
};

/** A small "i" in a circle (the default fonts have no such glyph). */
function InfoIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <circle cx="8" cy="8" r="7" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <rect x="7.2" y="7" width="1.6" height="5" fill="currentColor" />
      <circle cx="8" cy="4.6" r="1" fill="currentColor" />
    </svg>
  );
}

type StatusFields = Pick<AdminInstance, 'status' | 'lastError' | 'progress'>;

/**
 * The raw status (operators filter by these names). Statuses in flight are light with a spinner;
 * a failed one explains itself in a tooltip that keyboard and touch users can open too.
 */
export function InstanceStatusBadge({ instance }: { instance: StatusFields }) {
  const badge = <StatusBadge status={instance.status} look={INSTANCE_STATUS_LOOK[instance.status]} percent={instance.progress?.percent} />;
  if (instance.status !== 'failed' || !instance.lastError) return badge;
  return (
    <Tooltip label={instance.lastError} multiline w={320} withArrow events={{ hover: true, focus: true, touch: true }}>
      {/* A button so the tooltip can be reached by keyboard; its name says there is more to read. */}
      <Badge
        component="button"
        type="button"
        color="red.9"
        variant="filled"
        aria-label={`failed: ${instance.lastError}`}
        rightSection={<InfoIcon />}
        styles={{ root: { ...badgeStyles.root, cursor: 'help' } }}
      >
        failed
      </Badge>
    </Tooltip>
  );
}
