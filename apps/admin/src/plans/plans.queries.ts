import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type Plan = ApiData<'get', '/admin/plans'>[number];
export type PlanBody = ApiBody<'put', '/admin/plans/{code}'>;
export type PlanPrice = Plan['prices'][number];

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

/** Pushes the plan and its prices to the payment provider again (after a failed sync). */
export function useSyncPlan() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/admin/plans/{code}/sync', { params: { path: { code } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useSetTenantPlan() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ tenantId, planCode }: { tenantId: string; planCode: string }) =>
      unwrap(api.PUT('/admin/tenants/{tenantId}/plan', { params: { path: { tenantId } }, body: { planCode } })),
    // Its instances get new limits; its subscription and the tenant list show the new plan.
    onSettled: () => Promise.all(['instances', 'tenants', 'billing'].map((list) => qc.invalidateQueries({ queryKey: ['admin', list] }))),
  });
}
