import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type Plan = ApiData<'get', '/admin/plans'>[number];
export type PlanBody = ApiBody<'put', '/admin/plans/{code}'>;

const key = ['admin', 'plans'] as const;

export function usePlans() {
  const api = useApi();
  return useQuery({ queryKey: key, queryFn: () => unwrap(api.GET('/admin/plans')) });
}

export function usePutPlan() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ code, body }: { code: string; body: PlanBody }) =>
      unwrap(api.PUT('/admin/plans/{code}', { params: { path: { code } }, body })),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useSetTenantPlan() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ tenantId, planCode }: { tenantId: string; planCode: string }) =>
      unwrap(api.PUT('/admin/tenants/{tenantId}/plan', { params: { path: { tenantId } }, body: { planCode } })),
    // Its instances get new limits.
    onSettled: () => qc.invalidateQueries({ queryKey: ['admin', 'instances'] }),
  });
}
