import type { ApiEvent } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { type LiveMode, useLiveStream } from '../live/use-live-stream';
import { isBusy } from './instance-status';
import { type Instance, instanceKeys } from './instances.queries';

/** One event of `GET /instances/{id}/events`: its data is the whole instance, as `GET /instances/{id}` returns it. */
type InstanceUpdate = ApiEvent<'/instances/{instanceId}/events'>;
const UPDATE_EVENT: InstanceUpdate['event'] = 'instance';

export type { LiveMode };

/** Step labels seen so far, per operation and step index (the API names only the current step). */
export type SeenSteps = Record<string, Record<number, string>>;

/**
 * Follows an instance while `follow` is true (see useLiveStream: events, reconnects, polling
 * `GET /instances/{id}` as the fallback). Every update lands in the query cache, so whatever shows the
 * instance re-renders; a 404 marks it deleted.
 */
export function useInstanceLive(instanceId: string, follow: boolean): { mode: LiveMode; steps: SeenSteps } {
  const api = useApi();
  const qc = useQueryClient();
  const [steps, setSteps] = useState<SeenSteps>({});
  const stepsRef = useRef(steps);
  stepsRef.current = steps;
  const key = instanceKeys.one(instanceId);
  const path = { path: { instanceId } };

  const recordStep = (progress: Instance['progress']) => {
    if (!progress?.step) return;
    const { operation, stepIndex, step } = progress;
    if (stepsRef.current[operation]?.[stepIndex] === step) return;
    setSteps((prev) => ({ ...prev, [operation]: { ...prev[operation], [stepIndex]: step } }));
  };

  const mode = useLiveStream<Instance>(instanceId, follow, {
    event: UPDATE_EVENT,
    openStream: (signal) =>
      api.GET('/instances/{instanceId}/events', { params: path, headers: { accept: 'text/event-stream' }, parseAs: 'stream', signal }),
    read: (signal) => api.GET('/instances/{instanceId}', { params: path, signal }),
    // Stream and polling both deliver the whole instance: it replaces what the cache holds.
    apply: (instance) => {
      const before = qc.getQueryData<Instance>(key);
      recordStep(instance.progress);
      qc.setQueryData(key, instance);
      if (before && before.status !== instance.status) {
        qc.invalidateQueries({ queryKey: instanceKeys.history(instanceId) });
        qc.invalidateQueries({ queryKey: instanceKeys.list(instance.tenantId) });
      }
    },
    stillActive: () => {
      const current = qc.getQueryData<Instance>(key);
      return !current || isBusy(current);
    },
    onGone: () => qc.setQueryData<Instance>(key, (old) => (old ? { ...old, status: 'deleted', progress: null } : old)),
  });

  return { mode, steps };
}
