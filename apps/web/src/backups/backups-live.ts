import type { ApiEvent } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useQueryClient } from '@tanstack/react-query';
import { instanceKeys } from '../instances/instances.queries';
import { type LiveMode, useLiveStream } from '../live/use-live-stream';
import { backupKeys, hasActiveWork, type InstanceBackups } from './backups.queries';

/** One event of `GET /instances/{id}/backups/events`: its data is what `GET /instances/{id}/backups` returns. */
type BackupsUpdate = ApiEvent<'/instances/{instanceId}/backups/events'>;
const UPDATE_EVENT: BackupsUpdate['event'] = 'backups';

export type BackupsLiveMode = LiveMode;

/** A restore's end changes the instance itself (stopped, replaced, started): re-read it then. */
function restoreStatuses(state: InstanceBackups | undefined): string {
  return (state?.restores ?? []).map((r) => `${r.id}:${r.status}`).join(',');
}

/**
 * Follows an instance's backups and restores while one is queued or running, the way useInstanceLive
 * follows the instance (see useLiveStream). Every update replaces the cached state, so the tab
 * re-renders; starting an operation puts it in the cache as queued, which starts the following.
 */
export function useBackupsLive(instanceId: string, follow: boolean): BackupsLiveMode {
  const api = useApi();
  const qc = useQueryClient();
  const key = backupKeys.instance(instanceId);
  const path = { path: { instanceId } };

  return useLiveStream<InstanceBackups>(instanceId, follow, {
    event: UPDATE_EVENT,
    openStream: (signal) =>
      api.GET('/instances/{instanceId}/backups/events', {
        params: path,
        headers: { accept: 'text/event-stream' },
        parseAs: 'stream',
        signal,
      }),
    read: (signal) => api.GET('/instances/{instanceId}/backups', { params: path, signal }),
    apply: (state) => {
      const before = qc.getQueryData<InstanceBackups>(key);
      qc.setQueryData(key, state);
      if (restoreStatuses(before) !== restoreStatuses(state)) {
        qc.invalidateQueries({ queryKey: instanceKeys.one(instanceId), exact: true });
        qc.invalidateQueries({ queryKey: instanceKeys.history(instanceId) });
      }
    },
    stillActive: () => hasActiveWork(qc.getQueryData<InstanceBackups>(key)),
  });
}
