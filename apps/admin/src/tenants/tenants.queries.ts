import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type AdminTenant = ApiData<'get', '/admin/tenants'>['items'][number];

export function useAdminTenants(query: ApiQuery<'get', '/admin/tenants'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'tenants', query],
    queryFn: () => unwrap(api.GET('/admin/tenants', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}
