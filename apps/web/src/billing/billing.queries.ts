import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery } from '@tanstack/react-query';
import { notifyBillingError } from './billing-problem';
import { rememberChosenPlan } from './chosen-plan';

export type PublicPlan = ApiData<'get', '/billing/plans'>[number];
export type Billing = ApiData<'get', '/tenants/{tenantId}/billing'>;
export type BillingNotice = Billing['notices'][number];
export type Invoice = ApiData<'get', '/tenants/{tenantId}/billing/invoices'>[number];
export type CheckoutInput = ApiBody<'post', '/tenants/{tenantId}/billing/checkout'>;
export type Interval = NonNullable<CheckoutInput['interval']>;

export const billingKeys = {
  plans: ['billing', 'plans'] as const,
  billing: (tenantId: string) => ['tenants', tenantId, 'billing'] as const,
  invoices: (tenantId: string) => ['tenants', tenantId, 'billing', 'invoices'] as const,
};

/** The public catalog (no login needed): what the pricing page and the sign-up offer. */
export function usePublicPlans() {
  const api = useApi();
  return useQuery({ queryKey: billingKeys.plans, queryFn: () => unwrap(api.GET('/billing/plans')), staleTime: 5 * 60_000 });
}

/**
 * The tenant's subscription; `poll` reads it again every 2 s (after a checkout, while the provider's
 * webhook is on its way), otherwise every minute so the banners follow state changes.
 */
export function useBilling(tenantId: string | undefined, poll = false) {
  const api = useApi();
  return useQuery({
    queryKey: billingKeys.billing(tenantId ?? ''),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/billing', { params: { path: { tenantId: tenantId ?? '' } } })),
    enabled: Boolean(tenantId),
    refetchInterval: poll ? 2_000 : 60_000,
  });
}

export function useInvoices(tenantId: string, enabled = true, poll = false) {
  const api = useApi();
  return useQuery({
    queryKey: billingKeys.invoices(tenantId),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/billing/invoices', { params: { path: { tenantId } } })),
    enabled,
    refetchInterval: poll ? 2_000 : false,
  });
}

/** Starts a checkout; the answer is where to send the browser (the provider's page, or back to billing). */
/** Starts a checkout and sends the browser where the API says: Stripe's page, or back to the billing page. */
export function useCheckout(tenantId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (body: CheckoutInput) => unwrap(api.POST('/tenants/{tenantId}/billing/checkout', { params: { path: { tenantId } }, body })),
    onSuccess: ({ url }) => {
      rememberChosenPlan(null);
      window.location.assign(url);
    },
    onError: (e) => notifyBillingError(e, 'Could not start the checkout'),
  });
}

export function usePortal(tenantId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/tenants/{tenantId}/billing/portal', { params: { path: { tenantId } } })),
  });
}
