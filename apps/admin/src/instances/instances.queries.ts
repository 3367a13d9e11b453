import { type ApiData, type ApiQuery, instanceStatusValues, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminInstance = ApiData<'get', '/admin/instances'>['items'][number];
export type InstanceStatus = AdminInstance['status'];

/** Every status, in lifecycle order (the filter's options), as the API document lists them. */
export const INSTANCE_STATUSES: readonly InstanceStatus[] = instanceStatusValues;

export function isInstanceStatus(value: string | null): value is InstanceStatus {
  return INSTANCE_STATUSES.includes(value as InstanceStatus);
}

const REFRESH_MS = 10_000;

export function useAdminInstances(query: ApiQuery<'get', '/admin/instances'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'instances', query],
    queryFn: () => unwrap(api.GET('/admin/instances', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}

/** Statuses counted on the overview; "deleted" is history, not load. */
export const COUNTED_STATUSES = INSTANCE_STATUSES.filter((s) => s !== 'deleted');

/**
 * Instance totals per status. The API has no aggregate, so this asks the list for one row per
 * status and reads `total` (cheap: a count and a one-row page each).
 */
export function useInstanceCounts() {
  const api = useApi();
  const count = (status?: InstanceStatus) => () =>
    unwrap(api.GET('/admin/instances', { params: { query: { status, limit: 1, offset: 0 } } })).then((p) => p.total);
  return useQueries({
    queries: [undefined, ...COUNTED_STATUSES].map((status) => ({
      queryKey: ['admin', 'instances', 'count', status ?? 'live'],
      queryFn: count(status),
      refetchInterval: 30_000,
    })),
    combine: (results) => {
      const [live, ...perStatus] = results;
      return {
        isPending: results.some((r) => r.isPending),
        error: results.find((r) => r.error)?.error ?? null,
        refetch: () => Promise.all(results.map((r) => r.refetch())),
        live: live?.data ?? 0,
        byStatus: Object.fromEntries(COUNTED_STATUSES.map((s, i) => [s, perStatus[i]?.data ?? 0])) as Record<InstanceStatus, number>,
      };
    },
  });
}

/**
 * Tenant names for the instances table. Instances only carry `tenantId`, so this reads the first
 * page of tenants (the API's maximum) once in a while; ids beyond it are shown without a name.
 */
export function useTenantNames() {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'tenants', 'names'],
    queryFn: () => unwrap(api.GET('/admin/tenants', { params: { query: { limit: 200, offset: 0 } } })),
    select: (page) => new Map(page.items.map((t) => [t.id, t.name])),
    staleTime: 5 * 60_000,
  });
}

export type AdminInstancesQuery = ApiQuery<'get', '/admin/instances'>;
const ACTION_PATHS = {
  start: '/admin/instances/{instanceId}/start',
  stop: '/admin/instances/{instanceId}/stop',
  restart: '/admin/instances/{instanceId}/restart',
  retry: '/admin/instances/{instanceId}/retry',
  delete: '/admin/instances/{instanceId}/delete',
} as const;
export type AdminInstanceAction = keyof typeof ACTION_PATHS;

/** One instance for its detail page; refreshed while something is in flight. */
export function useAdminInstance(instanceId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'instances', 'detail', instanceId],
    queryFn: () => unwrap(api.GET('/admin/instances/{instanceId}', { params: { path: { instanceId } } })),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'pending' || status === 'provisioning' || status === 'deleting' ? 2_000 : REFRESH_MS;
    },
  });
}

export function useInstanceHistory(instanceId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'instances', 'history', instanceId],
    queryFn: () => unwrap(api.GET('/admin/instances/{instanceId}/history', { params: { path: { instanceId } } })),
    refetchInterval: REFRESH_MS,
  });
}

export function useInstanceFindings(instanceId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'instances', 'findings', instanceId],
    queryFn: () => unwrap(api.GET('/admin/instances/{instanceId}/findings', { params: { path: { instanceId } } })),
  });
}

export function useInstanceLogs(instanceId: string, tail: number) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'instances', 'logs', instanceId, tail],
    queryFn: () => unwrap(api.GET('/admin/instances/{instanceId}/logs', { params: { path: { instanceId }, query: { tail } } })),
    retry: false,
  });
}

export function useInstanceAction(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ action, reason }: { action: AdminInstanceAction; reason: string }) =>
      unwrap(
        api.POST(ACTION_PATHS[action], {
          params: { path: { instanceId } },
          body: reason ? { reason } : {},
        }),
      ),
    onSettled: () => qc.invalidateQueries({ queryKey: ['admin', 'instances'] }),
  });
}
