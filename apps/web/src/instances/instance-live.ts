import { type ApiEvent, ApiProblem, readServerSentEvents } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { isBusy } from './instance-status';
import { type Instance, instanceKeys } from './instances.queries';

/** One event of `GET /instances/{id}/events`: its data is the whole instance, as `GET /instances/{id}` returns it. */
type InstanceUpdate = ApiEvent<'/instances/{instanceId}/events'>;
const UPDATE_EVENT: InstanceUpdate['event'] = 'instance';

/** How the page is following the instance: the event stream, or polling when the stream keeps failing. */
export type LiveMode = 'idle' | 'connecting' | 'live' | 'polling';

/** Step labels seen so far, per operation and step index (the API names only the current step). */
export type SeenSteps = Record<string, Record<number, string>>;

const POLL_MS = 2_000;
const MAX_STREAM_FAILURES = 3;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows an instance while `follow` is true: reads its Server-Sent Events (fetch + stream, so the
 * Bearer token goes along and a 401 refreshes it), reconnects after a drop with backoff, and after
 * repeated failures polls `GET /instances/{id}` every 2 s instead. Every update lands in the query
 * cache, so whatever shows the instance re-renders.
 */
export function useInstanceLive(instanceId: string, follow: boolean): { mode: LiveMode; steps: SeenSteps } {
  const api = useApi();
  const qc = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('idle');
  const [steps, setSteps] = useState<SeenSteps>({});
  const stepsRef = useRef(steps);
  stepsRef.current = steps;

  useEffect(() => {
    if (!follow) {
      setMode('idle');
      return;
    }
    const controller = new AbortController();
    const { signal } = controller;
    const key = instanceKeys.one(instanceId);

    const recordStep = (progress: Instance['progress']) => {
      if (!progress?.step) return;
      const { operation, stepIndex, step } = progress;
      if (stepsRef.current[operation]?.[stepIndex] === step) return;
      setSteps((prev) => ({ ...prev, [operation]: { ...prev[operation], [stepIndex]: step } }));
    };

    // Stream and polling both deliver the whole instance: it replaces what the cache holds.
    const apply = (instance: Instance) => {
      const before = qc.getQueryData<Instance>(key);
      recordStep(instance.progress);
      qc.setQueryData(key, instance);
      if (before && before.status !== instance.status) {
        qc.invalidateQueries({ queryKey: instanceKeys.history(instanceId) });
        qc.invalidateQueries({ queryKey: instanceKeys.list(instance.tenantId) });
      }
    };

    const markGone = () => {
      qc.setQueryData<Instance>(key, (old) => (old ? { ...old, status: 'deleted', progress: null } : old));
    };

    async function poll() {
      setMode('polling');
      while (!signal.aborted) {
        try {
          const { data, response, error } = await api.GET('/instances/{instanceId}', { params: { path: { instanceId } }, signal });
          if (response.status === 404) return markGone();
          if (!response.ok || !data) throw ApiProblem.from(error, response);
          apply(data);
        } catch {
          // Keep polling through blips; the page shows the last known state.
        }
        await sleep(POLL_MS, signal);
      }
    }

    async function stream() {
      let failures = 0;
      while (!signal.aborted) {
        setMode('connecting');
        let received = 0;
        try {
          const { data, response, error } = await api.GET('/instances/{instanceId}/events', {
            params: { path: { instanceId } },
            headers: { accept: 'text/event-stream' },
            parseAs: 'stream',
            signal,
          });
          if (response.status === 404) return markGone();
          if (!response.ok || !data) throw ApiProblem.from(error, response);
          setMode('live');
          await readServerSentEvents(
            data,
            (event) => {
              if (event.event !== UPDATE_EVENT) return;
              received++;
              apply(JSON.parse(event.data) as InstanceUpdate['data']);
            },
            signal,
          );
        } catch {
          if (signal.aborted) return;
        }
        // A stream that delivered something and then ended (server time limit, proxy) is reopened at once;
        // one that failed or ended empty counts towards falling back to polling.
        const current = qc.getQueryData<Instance>(key);
        if (current && !isBusy(current)) {
          setMode('idle');
          return;
        }
        failures = received > 0 ? 0 : failures + 1;
        if (failures >= MAX_STREAM_FAILURES) return poll();
        await sleep(failures === 0 ? 500 : 1_000 * 2 ** (failures - 1), signal);
      }
    }

    void stream();
    return () => controller.abort();
  }, [api, qc, instanceId, follow]);

  return { mode, steps };
}
