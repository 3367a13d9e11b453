import type Stripe from 'stripe';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../billing.tables.js';
import type { BillingChange, InvoiceFacts, TenantRef } from '../billing-provider.js';

type Ref = string | { id: string } | null | undefined;

/** Stripe sends a related object either as its id or, when expanded, as the object itself. */
function refId(ref: Ref): string | null {
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

function date(seconds: number | null | undefined): Date | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

function tenantRef(metadata: Stripe.Metadata | null | undefined, customer: Ref): TenantRef {
  return { tenantId: metadata?.tenantId || null, customerId: refId(customer) };
}

const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

/**
 * Stripe's types admit statuses newer than this code knows. Such an event fails (stored, retried, shown to
 * the admin) rather than being guessed at.
 */
function known<T extends string>(values: readonly T[], value: string, what: string): T {
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new Error(`unknown Stripe ${what} status "${value}"`);
}

function subscriptionChange(subscription: Stripe.Subscription, stripeStatus: string): BillingChange {
  const status = known<Exclude<SubscriptionStatus, 'none'>>(
    SUBSCRIPTION_STATUSES.filter((s) => s !== 'none'),
    stripeStatus,
    'subscription',
  );
  const item = subscription.items?.data[0];
  // Since API version 2025-03-31 the billing period lives on each item; older payloads have it on the subscription.
  const periodEnd = item?.current_period_end ?? (subscription as { current_period_end?: number }).current_period_end;
  const customerId = refId(subscription.customer);
  if (!customerId) throw new Error(`subscription ${subscription.id} has no customer`);
  return {
    kind: 'subscription',
    tenant: tenantRef(subscription.metadata, subscription.customer),
    subscriptionId: subscription.id,
    customerId,
    status,
    providerPriceId: refId(item?.price),
    quantity: item?.quantity ?? 1,
    trialEndsAt: date(subscription.trial_end),
    currentPeriodEnd: date(periodEnd),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
  };
}

/** The subscription an invoice bills: under `parent` since API version 2025-03-31, at the top level before. */
function invoiceSubscription(invoice: Stripe.Invoice): { id: string | null; metadata: Stripe.Metadata | null } {
  const details = invoice.parent?.subscription_details;
  if (details) return { id: refId(details.subscription), metadata: details.metadata };
  return { id: refId((invoice as { subscription?: Ref }).subscription), metadata: null };
}

function invoiceFacts(invoice: Stripe.Invoice): InvoiceFacts {
  if (!invoice.id) throw new Error('invoice without an id');
  // The first line's period is the service period; the invoice's own period_* are those of the usage it closes.
  const period = invoice.lines?.data[0]?.period;
  return {
    providerInvoiceId: invoice.id,
    number: invoice.number ?? null,
    status: known(INVOICE_STATUSES, invoice.status ?? 'draft', 'invoice'),
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    hostedUrl: invoice.hosted_invoice_url ?? null,
    pdfUrl: invoice.invoice_pdf ?? null,
    periodStart: date(period?.start ?? invoice.period_start),
    periodEnd: date(period?.end ?? invoice.period_end),
    paidAt: date(invoice.status_transitions?.paid_at),
  };
}

function invoiceChange(invoice: Stripe.Invoice, outcome: 'paid' | 'payment-failed' | 'finalized'): BillingChange {
  const subscription = invoiceSubscription(invoice);
  return {
    kind: 'invoice',
    tenant: tenantRef(invoice.metadata?.tenantId ? invoice.metadata : subscription.metadata, invoice.customer),
    subscriptionId: subscription.id,
    outcome,
    invoice: invoiceFacts(invoice),
  };
}

/**
 * What a Stripe event means to the platform. Pure: the webhook intake stores the raw event and the
 * job re-derives the change from it, so a fix here applies to events already stored.
 */
export function stripeEventChange(event: Stripe.Event): BillingChange {
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const customerId = refId(session.customer);
      // Only subscription checkouts are ours; a payment-mode session made elsewhere in the account is not.
      if (session.mode !== 'subscription' || !customerId) return { kind: 'ignored' };
      return {
        kind: 'checkout-completed',
        tenant: { tenantId: session.metadata?.tenantId || session.client_reference_id || null, customerId },
        customerId,
        subscriptionId: refId(session.subscription),
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
      return subscriptionChange(event.data.object, event.data.object.status);
    case 'customer.subscription.deleted':
      // Deleted is final whatever status the object still shows.
      return subscriptionChange(event.data.object, 'canceled');
    case 'customer.subscription.trial_will_end': {
      const subscription = event.data.object;
      return {
        kind: 'trial-will-end',
        tenant: tenantRef(subscription.metadata, subscription.customer),
        subscriptionId: subscription.id,
        trialEndsAt: date(subscription.trial_end),
      };
    }
    case 'invoice.paid':
      return invoiceChange(event.data.object, 'paid');
    case 'invoice.payment_failed':
      return invoiceChange(event.data.object, 'payment-failed');
    case 'invoice.finalized':
      return invoiceChange(event.data.object, 'finalized');
    case 'customer.deleted':
      return { kind: 'customer-deleted', customerId: event.data.object.id };
    default:
      return { kind: 'ignored' };
  }
}

/** A stored event's payload (billing_events.payload) read again: what it means to the platform. */
export const storedStripeEventChange = (payload: Record<string, unknown>): BillingChange =>
  stripeEventChange(payload as unknown as Stripe.Event);
