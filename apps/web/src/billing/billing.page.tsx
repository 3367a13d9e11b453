import { Alert, Button, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { EmptyState, ErrorState, LoadingState, PageTitle } from '@saas/ui';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useCurrentTenant } from '../tenants/current-tenant';
import {
  type Billing,
  type Interval,
  type PublicPlan,
  useBilling,
  useCheckout,
  useInvoices,
  usePortal,
  usePublicPlans,
} from './billing.queries';
import { currentChoice, SUBSCRIBED } from './billing-format';
import { notifyBillingError } from './billing-problem';
import { type ChosenPlan, isPending, readChosenPlan, rememberChosenPlan } from './chosen-plan';
import { InvoicesTable } from './invoices-table';
import { PlanPicker } from './plan-picker';
import { SubscriptionSummary } from './subscription-summary';

/** How long the page waits, after the provider's checkout, for its webhook to activate the subscription. */
const ACTIVATION_WAIT_MS = 30_000;

export function BillingPage() {
  const { tenant } = useCurrentTenant();
  if (!tenant) {
    return (
      <>
        <PageTitle>Billing</PageTitle>
        <EmptyState title="No organization" description="You are not a member of any organization." />
      </>
    );
  }
  return <TenantBilling tenantId={tenant.id} tenantName={tenant.name} canManage={tenant.role === 'owner' || tenant.role === 'admin'} />;
}

/**
 * After the provider's checkout (`?checkout=success`), the webhook may not have been processed yet:
 * poll every 2 s, for up to 30 s, until the subscription is on and its first invoice is listed.
 */
function useCheckoutReturn(billing: Billing | undefined, invoiceCount: number | undefined) {
  const [search] = useSearchParams();
  const outcome = search.get('checkout');
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    if (outcome !== 'success') return;
    const timer = setTimeout(() => setTimedOut(true), ACTIVATION_WAIT_MS);
    return () => clearTimeout(timer);
  }, [outcome]);
  const active = billing?.status === 'trialing' || billing?.status === 'active';
  const complete = active && (invoiceCount === undefined || invoiceCount > 0 || billing?.provider === 'manual');
  useEffect(() => {
    if (outcome === 'success' && active) rememberChosenPlan(null);
  }, [outcome, active]);
  return { outcome, active, polling: outcome === 'success' && !timedOut && !complete, timedOut };
}

function TenantBilling({ tenantId, tenantName, canManage }: { tenantId: string; tenantName: string; canManage: boolean }) {
  const [poll, setPoll] = useState(false);
  const billing = useBilling(tenantId, poll);
  const invoices = useInvoices(tenantId, canManage, poll);
  const checkoutReturn = useCheckoutReturn(billing.data, canManage ? invoices.data?.length : undefined);
  useEffect(() => setPoll(checkoutReturn.polling), [checkoutReturn.polling]);

  return (
    <Stack gap="lg">
      <PageTitle>Billing of {tenantName}</PageTitle>
      <CheckoutNotice {...checkoutReturn} />
      {billing.isPending ? (
        <LoadingState label="Loading the subscription…" />
      ) : billing.isError ? (
        <ErrorState title="Could not load the subscription" error={billing.error} onRetry={() => billing.refetch()} />
      ) : (
        <Subscription billing={billing.data} tenantId={tenantId} canManage={canManage} />
      )}
      {canManage && (
        <Paper withBorder p="md">
          <Title order={2} size="h3" mb="sm">
            Invoices
          </Title>
          <InvoicesTable invoices={invoices} />
        </Paper>
      )}
    </Stack>
  );
}

function CheckoutNotice({ outcome, active, polling, timedOut }: ReturnType<typeof useCheckoutReturn>) {
  if (outcome === 'canceled') {
    return (
      <Alert color="gray" title="Checkout canceled" role="status">
        Nothing was charged. You can choose a plan again whenever you like.
      </Alert>
    );
  }
  if (outcome !== 'success') return null;
  if (active && !polling) {
    return (
      <Alert color="teal" title="Subscription active" role="status">
        Thank you: your subscription is active.
      </Alert>
    );
  }
  return (
    <Alert color="blue" title="Payment received" role="status">
      <Group gap="xs" wrap="nowrap">
        {polling && <Loader size="xs" aria-hidden />}
        <Text size="sm">
          {timedOut
            ? 'Your subscription is still being activated. This page updates by itself; if it stays like this, contact support.'
            : 'Payment received — your subscription is being activated.'}
        </Text>
      </Group>
    </Alert>
  );
}

function Subscription({ billing, tenantId, canManage }: { billing: Billing; tenantId: string; canManage: boolean }) {
  const subscribed = SUBSCRIBED.has(billing.status);
  const [pickerOpen, setPickerOpen] = useState<boolean | null>(null);
  const [interval, setInterval] = useState<Interval>(billing.price?.interval ?? 'month');
  const [chosen] = useState<ChosenPlan | null>(readChosenPlan);
  const checkout = useCheckout(tenantId);
  const portal = usePortal(tenantId);
  const plans = usePublicPlans();
  // A plan picked on the pricing page before signing up, still to be paid for.
  const pendingChoice =
    canManage && chosen && isPending(chosen, billing) ? (plans.data?.find((p) => p.code === chosen.plan) ?? null) : null;
  const showPicker = canManage && (pickerOpen ?? (!subscribed && !pendingChoice));

  function choose(plan: Pick<PublicPlan, 'code'>, chosenInterval: Interval) {
    checkout.mutate({ planCode: plan.code, interval: chosenInterval });
  }

  return (
    <>
      {pendingChoice && chosen && (
        <Alert color="indigo" title="Complete your subscription" role="status">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">
              You chose the {pendingChoice.name} plan, billed {chosen.interval === 'year' ? 'yearly' : 'monthly'}. Continue to payment to
              start it.
            </Text>
            <Group gap="xs">
              <Button size="xs" loading={checkout.isPending} onClick={() => choose(pendingChoice, chosen.interval)}>
                Continue to payment
              </Button>
              <Button size="xs" variant="default" onClick={() => setPickerOpen(true)}>
                See other plans
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      <Paper withBorder p="md">
        <Group justify="space-between" mb="sm" wrap="wrap">
          <Title order={2} size="h3">
            Subscription
          </Title>
          {canManage && (
            <Group gap="xs">
              <Button variant={showPicker ? 'filled' : 'light'} onClick={() => setPickerOpen(!showPicker)} aria-expanded={showPicker}>
                Change plan
              </Button>
              {billing.portalAvailable && (
                <Button
                  variant="default"
                  loading={portal.isPending}
                  onClick={() =>
                    portal.mutate(undefined, {
                      onSuccess: ({ url }) => window.location.assign(url),
                      onError: (e) => notifyBillingError(e, 'Could not open the billing portal'),
                    })
                  }
                >
                  Manage billing
                </Button>
              )}
            </Group>
          )}
        </Group>
        <SubscriptionSummary billing={billing} />
        {!canManage && (
          <Text size="sm" c="dimmed" mt="sm">
            Only the owner and admins of the organization can change its plan and see its invoices.
          </Text>
        )}
      </Paper>
      {showPicker && (
        <Paper withBorder p="md" component="section" aria-labelledby="choose-plan">
          <Title order={2} size="h3" mb="sm" id="choose-plan">
            {subscribed ? 'Change plan' : 'Choose a plan'}
          </Title>
          {billing.provider === 'stripe' && subscribed && billing.portalAvailable && (
            <Text size="sm" c="dimmed" mb="sm">
              To switch with proration on your current payment method, you can also use “Manage billing”.
            </Text>
          )}
          <PlanPicker
            interval={interval}
            onIntervalChange={setInterval}
            onChoose={choose}
            current={currentChoice(billing)}
            pending={checkout.isPending ? (checkout.variables?.planCode ?? null) : null}
            headingOrder={3}
          />
        </Paper>
      )}
    </>
  );
}
