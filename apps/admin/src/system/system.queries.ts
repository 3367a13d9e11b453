import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type ReconcileRun = ApiData<'get', '/admin/reconcile-runs'>[number];
export type Finding = ReconcileRun['findings'][number];
export type Certificate = ApiData<'get', '/admin/certificates'>[number];

export function useReconcileRuns(params: { limit: number; offset: number }) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'reconcile-runs', params],
    queryFn: () => unwrap(api.GET('/admin/reconcile-runs', { params: { query: params } })),
    placeholderData: keepPreviousData,
    refetchInterval: params.offset === 0 ? 30_000 : false,
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
