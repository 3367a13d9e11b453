import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type WorkerInfo = ApiData<'get', '/admin/system/workers'>[number];
export type QueueDepth = ApiData<'get', '/admin/system/queues'>[number];
export type FailedJob = ApiData<'get', '/admin/system/queues/{queue}/failed'>['items'][number];

/** Heartbeats come every 5 s; polling as often keeps "last beat" and the depths live. */
const REFRESH_MS = 5_000;
const key = ['admin', 'system'] as const;

export function useWorkers() {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'workers'],
    queryFn: () => unwrap(api.GET('/admin/system/workers')),
    refetchInterval: REFRESH_MS,
  });
}

export function useQueueDepths() {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'queues'],
    queryFn: () => unwrap(api.GET('/admin/system/queues')),
    refetchInterval: REFRESH_MS,
  });
}

export function useFailedJobs(queue: string, query: ApiQuery<'get', '/admin/system/queues/{queue}/failed'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'failed', queue, query],
    queryFn: () => unwrap(api.GET('/admin/system/queues/{queue}/failed', { params: { path: { queue }, query } })),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}

/** Retry or remove a failed job; both change the failed list and the depths. */
export function useFailedJobAction() {
  const api = useApi();
  const qc = useQueryClient();
  const onSettled = () => qc.invalidateQueries({ queryKey: key });
  const retry = useMutation({
    mutationFn: ({ queue, jobId }: { queue: string; jobId: string }) =>
      unwrap(api.POST('/admin/system/queues/{queue}/failed/{jobId}/retry', { params: { path: { queue, jobId } } })),
    onSettled,
  });
  const remove = useMutation({
    mutationFn: ({ queue, jobId }: { queue: string; jobId: string }) =>
      unwrap(api.DELETE('/admin/system/queues/{queue}/failed/{jobId}', { params: { path: { queue, jobId } } })),
    onSettled,
  });
  return { retry, remove };
}
