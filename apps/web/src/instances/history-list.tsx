import { Text, Timeline } from '@mantine/core';
import { EmptyState, ErrorState, formatDateTime, LoadingState } from '@saas/ui';
import { useMembers } from '../team/team.queries';
import { displayStatus } from './instance-status';
import { useInstanceHistory } from './instances.queries';

const statusLabel = (status: Parameters<typeof displayStatus>[0]['status']) => displayStatus({ status, desiredState: 'running' }).label;

/** Status changes, newest first, with who caused them (a member, or the platform itself). */
export function HistoryList({ instanceId, tenantId }: { instanceId: string; tenantId: string }) {
  const history = useInstanceHistory(instanceId);
  const members = useMembers(tenantId);
  if (history.isPending) return <LoadingState label="Loading the history…" />;
  if (history.isError) return <ErrorState title="Could not load the history" error={history.error} onRetry={() => history.refetch()} />;
  if (history.data.length === 0) return <EmptyState title="No history yet" />;
  const nameOf = (id: string | null) => {
    if (!id) return 'the platform';
    const m = members.data?.find((x) => x.userId === id);
    return m ? m.name || m.email : 'a former member';
  };
  const entries = [...history.data].reverse();

  return (
    <Timeline bulletSize={14} lineWidth={2} active={entries.length} color="gray.6">
      {entries.map((e) => (
        <Timeline.Item
          key={`${e.at}-${e.toStatus}-${e.reason}`}
          title={
            e.fromStatus && e.fromStatus !== e.toStatus
              ? `${statusLabel(e.fromStatus)} → ${statusLabel(e.toStatus)}`
              : statusLabel(e.toStatus)
          }
        >
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {e.reason.charAt(0).toUpperCase() + e.reason.slice(1)}
          </Text>
          <Text size="xs" c="dimmed">
            {formatDateTime(e.at)} · by {nameOf(e.actorId)}
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
