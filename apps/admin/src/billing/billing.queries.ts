import { type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminSubscription = ApiData<'get', '/admin/billing/subscriptions'>['items'][number];
export type AdminInvoice = ApiData<'get', '/admin/billing/invoices'>['items'][number];
export type BillingEvent = ApiData<'get', '/admin/billing/events'>['items'][number];
export type Revenue = ApiData<'get', '/admin/billing/revenue'>;

const key = ['admin', 'billing'] as const;

export function useSubscriptions(query: ApiQuery<'get', '/admin/billing/subscriptions'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'subscriptions', query],
    queryFn: () => unwrap(api.GET('/admin/billing/subscriptions', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useInvoices(query: ApiQuery<'get', '/admin/billing/invoices'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'invoices', query],
    queryFn: () => unwrap(api.GET('/admin/billing/invoices', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useBillingEvents(query: ApiQuery<'get', '/admin/billing/events'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'events', query],
    queryFn: () => unwrap(api.GET('/admin/billing/events', { params: { query } })),
    placeholderData: keepPreviousData,
    // A retried event is processed by the worker a moment later.
    refetchInterval: 10_000,
  });
}

export function useRevenue(days: number) {
  const api = useApi();
  return useQuery({
    queryKey: [...key, 'revenue', days],
    queryFn: () => unwrap(api.GET('/admin/billing/revenue', { params: { query: { days } } })),
    placeholderData: keepPreviousData,
  });
}

export function useRetryEvent() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/admin/billing/events/{id}/retry', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: [...key, 'events'] }),
  });
}

/** The platform's billing currency (every price and amount is in it), as the revenue report states it. */
export function useBillingCurrency(): { currency: string | undefined; error: Error | null } {
  const api = useApi();
  const revenue = useQuery({
    queryKey: [...key, 'revenue', 7],
    queryFn: () => unwrap(api.GET('/admin/billing/revenue', { params: { query: { days: 7 } } })),
    staleTime: Number.POSITIVE_INFINITY,
  });
  return { currency: revenue.data?.currency, error: revenue.error };
}
