import { type ApiBody, type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminTenant = ApiData<'get', '/admin/tenants'>['items'][number];

export function useAdminTenants(query: ApiQuery<'get', '/admin/tenants'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'tenants', query],
    queryFn: () => unwrap(api.GET('/admin/tenants', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export type ManualStateBody = ApiBody<'put', '/admin/tenants/{tenantId}/subscription'>;
export type ManualPaymentBody = ApiBody<'post', '/admin/tenants/{tenantId}/payments'>;

/** After a manual action: the tenant list's billing column and every billing list change. */
function useRefreshBilling() {
  const qc = useQueryClient();
  return () =>
    Promise.all([qc.invalidateQueries({ queryKey: ['admin', 'tenants'] }), qc.invalidateQueries({ queryKey: ['admin', 'billing'] })]);
}

export function useSetSubscriptionState() {
  const api = useApi();
  const refresh = useRefreshBilling();
  return useMutation({
    mutationFn: ({ tenantId, body }: { tenantId: string; body: ManualStateBody }) =>
      unwrap(api.PUT('/admin/tenants/{tenantId}/subscription', { params: { path: { tenantId } }, body })),
    onSettled: refresh,
  });
}

export function useRecordPayment() {
  const api = useApi();
  const refresh = useRefreshBilling();
  return useMutation({
    mutationFn: ({ tenantId, body }: { tenantId: string; body: ManualPaymentBody }) =>
      unwrap(api.POST('/admin/tenants/{tenantId}/payments', { params: { path: { tenantId } }, body })),
    onSettled: refresh,
  });
}

export type AdminTenantsQuery = ApiQuery<'get', '/admin/tenants'>;
export type AdminTenantDetail = ApiData<'get', '/admin/tenants/{tenantId}'>;

export function useAdminTenant(tenantId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'tenants', 'detail', tenantId],
    queryFn: () => unwrap(api.GET('/admin/tenants/{tenantId}', { params: { path: { tenantId } } })),
    // Instances move after a suspension or resumption: follow them while the page is open.
    refetchInterval: 5_000,
  });
}

/** Suspends (with a reason) or resumes a tenant; every tenant list and the detail page follow. */
export function useTenantSuspension(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  // The lists, the detail page, and the audit log that now shows the action.
  const refresh = () =>
    Promise.all([qc.invalidateQueries({ queryKey: ['admin', 'tenants'] }), qc.invalidateQueries({ queryKey: ['admin', 'audit-log'] })]);
  const suspend = useMutation({
    mutationFn: (reason: string) =>
      unwrap(api.POST('/admin/tenants/{tenantId}/suspend', { params: { path: { tenantId } }, body: { reason } })),
    onSettled: refresh,
  });
  const resume = useMutation({
    mutationFn: (reason: string) =>
      unwrap(api.POST('/admin/tenants/{tenantId}/resume', { params: { path: { tenantId } }, body: reason ? { reason } : {} })),
    onSettled: refresh,
  });
  return { suspend, resume };
}

export type TenantDeletion = ApiData<'post', '/admin/tenants/{tenantId}/delete'>;

/** Deletes a tenant (or finishes an interrupted deletion); every tenant list, the detail and the audit log follow. */
export function useDeleteTenant(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiBody<'post', '/admin/tenants/{tenantId}/delete'>) =>
      unwrap(api.POST('/admin/tenants/{tenantId}/delete', { params: { path: { tenantId } }, body })),
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: ['admin', 'tenants'] }), qc.invalidateQueries({ queryKey: ['admin', 'audit-log'] })]),
  });
}
