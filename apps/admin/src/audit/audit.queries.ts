import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type AuditEntry = ApiData<'get', '/admin/audit-log'>['items'][number];

export interface AuditFilters {
  action: string;
  tenantId: string;
  limit: number;
  offset: number;
}

export function useAdminAuditLog(f: AuditFilters) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'audit-log', f],
    queryFn: () =>
      unwrap(
        api.GET('/admin/audit-log', {
          params: { query: { limit: f.limit, offset: f.offset, action: f.action || undefined, tenantId: f.tenantId || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}
