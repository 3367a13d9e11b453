import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type MetricsRange = ApiData<'get', '/admin/metrics/overview'>['range'];

/** Charts refresh while open; a minute is the smallest step they plot. */
const REFRESH_MS = 60_000;

export function useOverviewMetrics(range: MetricsRange) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'metrics', 'overview', range],
    queryFn: () => unwrap(api.GET('/admin/metrics/overview', { params: { query: { range } } })),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}

export function useAdminInstanceMetrics(instanceId: string, range: MetricsRange) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'metrics', 'instance', instanceId, range],
    queryFn: () => unwrap(api.GET('/admin/instances/{instanceId}/metrics', { params: { path: { instanceId }, query: { range } } })),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}
