import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type OdooVersion = ApiData<'get', '/admin/odoo-versions'>[number];
export type OdooVersionBody = ApiBody<'put', '/admin/odoo-versions/{version}'>;

const key = ['admin', 'odoo-versions'] as const;

/**
 * The catalog. While a template builds it is polled; `watchUntil` (a time in ms) keeps polling
 * after a rebuild was queued, before the worker has picked it up and marked it "building".
 */
export function useOdooVersions(watchUntil = 0) {
  const api = useApi();
  return useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET('/admin/odoo-versions')),
    refetchInterval: (query) => (query.state.data?.some((v) => v.templateStatus === 'building') || Date.now() < watchUntil ? 5_000 : false),
  });
}

export function usePutOdooVersion() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ version, body }: { version: string; body: OdooVersionBody }) =>
      unwrap(api.PUT('/admin/odoo-versions/{version}', { params: { path: { version } }, body })),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useRebuildTemplate() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (version: string) => unwrap(api.POST('/admin/odoo-versions/{version}/template', { params: { path: { version } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}
