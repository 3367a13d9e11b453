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
