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
