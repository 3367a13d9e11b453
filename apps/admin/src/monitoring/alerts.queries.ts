import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';

export type AdminAlert = ApiData<'get', '/admin/alerts'>['items'][number];
export type AlertStatus = AdminAlert['status'];

export const ALERT_STATUSES: readonly AlertStatus[] = ['firing', 'resolved'];

export function isAlertStatus(value: string | null): value is AlertStatus {
  return ALERT_STATUSES.includes(value as AlertStatus);
}

const keys = { all: ['admin', 'alerts'] as const };

/** Alerts arrive from Alertmanager at any time: refreshed every 15 seconds. */
export function useAdminAlerts(query: ApiQuery<'get', '/admin/alerts'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...keys.all, query],
    queryFn: () => unwrap(api.GET('/admin/alerts', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}
