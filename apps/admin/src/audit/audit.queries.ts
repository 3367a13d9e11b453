import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type AuditEntry = ApiData<'get', '/admin/audit-log'>['items'][number];
export type AuditFilters = ApiQuery<'get', '/admin/audit-log'>;

export function useAdminAuditLog(filters: AuditFilters) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'audit-log', filters],
    queryFn: () => unwrap(api.GET('/admin/audit-log', { params: { query: filters } })),
    placeholderData: keepPreviousData,
  });
}
