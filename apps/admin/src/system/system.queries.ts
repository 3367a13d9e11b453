import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type ReconcileRun = ApiData<'get', '/admin/reconcile-runs'>[number];
export type Certificate = ApiData<'get', '/admin/certificates'>[number];

export function useReconcileRuns(query: ApiQuery<'get', '/admin/reconcile-runs'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'reconcile-runs', query],
    queryFn: () => unwrap(api.GET('/admin/reconcile-runs', { params: { query } })),
    placeholderData: keepPreviousData,
    // Only the newest page changes.
    refetchInterval: query.offset ? false : 30_000,
  });
}

export function useCertificates() {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'certificates'],
    queryFn: () => unwrap(api.GET('/admin/certificates')),
    // The API sorts already; sorting again keeps "soonest first" true whatever it does.
    select: (certs) => [...certs].sort((a, b) => a.notAfter.localeCompare(b.notAfter)),
  });
}

export type EdgeRoute = ApiData<'get', '/admin/system/edge-routes'>['items'][number];
export type EdgeRouteState = EdgeRoute['state'];
export type PlatformSettingsDto = ApiData<'get', '/admin/system/settings'>;

export const ROUTE_STATES: readonly EdgeRouteState[] = ['active', 'provisioning', 'stopped', 'failed', 'suspended'];
export const isRouteState = (v: string | null): v is EdgeRouteState => ROUTE_STATES.includes(v as EdgeRouteState);

export function useEdgeRoutes(query: ApiQuery<'get', '/admin/system/edge-routes'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'edge-routes', query],
    queryFn: () => unwrap(api.GET('/admin/system/edge-routes', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function usePlatformSettings() {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'platform-settings'],
    queryFn: () => unwrap(api.GET('/admin/system/settings')),
    // It changes only when the platform restarts with another configuration.
    staleTime: 5 * 60_000,
  });
}
