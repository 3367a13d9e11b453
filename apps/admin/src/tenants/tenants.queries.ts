import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type AdminTenant = ApiData<'get', '/admin/tenants'>['items'][number];

export function useAdminTenants(params: { q: string; limit: number; offset: number }) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'tenants', params],
    queryFn: () =>
      unwrap(api.GET('/admin/tenants', { params: { query: { q: params.q || undefined, limit: params.limit, offset: params.offset } } })),
    placeholderData: keepPreviousData,
  });
}
