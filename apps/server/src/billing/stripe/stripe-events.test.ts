import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { stripeEventChange } from './stripe-events.js';

const TENANT = '7f1c1a52-8a4e-4f0e-9c1e-0d3f4b1e2a10';
const T0 = 1_780_000_000;

/** A webhook event as Stripe sends it, with only the fields the mapping reads (the rest does not matter). */
function event(type: string, object: Record<string, unknown>): Stripe.Event {
  return { id: 'evt_1', object: 'event', type, created: T0, data: { object } } as unknown as Stripe.Event;
}

function subscription(overrides: Record<string, unknown> = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    status: 'active',
    metadata: { tenantId: TENANT },
    items: { data: [{ id: 'si_1', price: { id: 'price_1' }, quantity: 3, current_period_end: T0 + 30 * 86_400 }] },
    trial_end: null,
    cancel_at_period_end: false,
    ...overrides,
  };
}

function invoice(overrides: Record<string, unknown> = {}) {
  return {
    id: 'in_1',
    object: 'invoice',
    number: 'ABC-0001',
    status: 'paid',
    customer: 'cus_1',
    currency: 'eur',
    amount_due: 1900,
    amount_paid: 1900,
    hosted_invoice_url: 'https://invoice.stripe.com/i/1',
    invoice_pdf: 'https://pay.stripe.com/invoice/1/pdf',
    period_start: T0 - 86_400,
    period_end: T0 - 86_400,
    lines: { data: [{ period: { start: T0, end: T0 + 30 * 86_400 } }] },
    parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: { tenantId: TENANT } } },
    status_transitions: { paid_at: T0 + 60 },
    metadata: {},
    ...overrides,
  };
}

describe('what a Stripe event means', () => {
  it('reads a completed subscription checkout, the tenant from metadata or client_reference_id', () => {
    const session = {
      id: 'cs_1',
      mode: 'subscription',
      customer: 'cus_1',
      subscription: 'sub_1',
      metadata: { tenantId: TENANT },
      client_reference_id: TENANT,
    };
    expect(stripeEventChange(event('checkout.session.completed', session))).toEqual({
      kind: 'checkout-completed',
      tenant: { tenantId: TENANT, customerId: 'cus_1' },
      customerId: 'cus_1',
      subscriptionId: 'sub_1',
    });
    const bare = stripeEventChange(event('checkout.session.completed', { ...session, metadata: {}, customer: { id: 'cus_2' } }));
    expect(bare).toMatchObject({ tenant: { tenantId: TENANT, customerId: 'cus_2' }, customerId: 'cus_2' });
  });

  it('ignores a checkout that is not a subscription', () => {
    const session = { id: 'cs_1', mode: 'payment', customer: 'cus_1', subscription: null, metadata: {}, client_reference_id: null };
    expect(stripeEventChange(event('checkout.session.completed', session))).toEqual({ kind: 'ignored' });
  });

  it('reads a subscription: status, price, quantity, period end from the item, trial end', () => {
    const change = stripeEventChange(
      event('customer.subscription.updated', subscription({ status: 'trialing', trial_end: T0 + 14 * 86_400 })),
    );
    expect(change).toEqual({
      kind: 'subscription',
      tenant: { tenantId: TENANT, customerId: 'cus_1' },
      subscriptionId: 'sub_1',
      customerId: 'cus_1',
      status: 'trialing',
      providerPriceId: 'price_1',
      quantity: 3,
      trialEndsAt: new Date((T0 + 14 * 86_400) * 1000),
      currentPeriodEnd: new Date((T0 + 30 * 86_400) * 1000),
      cancelAtPeriodEnd: false,
    });
  });

  it('falls back to the period end of older API versions, on the subscription', () => {
    const old = subscription({ current_period_end: T0 + 5, items: { data: [{ id: 'si_1', price: 'price_9', quantity: 1 }] } });
    expect(stripeEventChange(event('customer.subscription.created', old))).toMatchObject({
      providerPriceId: 'price_9',
      currentPeriodEnd: new Date((T0 + 5) * 1000),
    });
  });

  it('maps every Stripe status, and a deleted subscription to canceled', () => {
    for (const status of ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused', 'trialing']) {
      expect(stripeEventChange(event('customer.subscription.updated', subscription({ status })))).toMatchObject({ status });
    }
    expect(stripeEventChange(event('customer.subscription.deleted', subscription({ status: 'active' })))).toMatchObject({
      status: 'canceled',
    });
    expect(stripeEventChange(event('customer.subscription.updated', subscription({ cancel_at_period_end: true })))).toMatchObject({
      cancelAtPeriodEnd: true,
    });
  });

  it('refuses a status it does not know rather than guessing', () => {
    expect(() => stripeEventChange(event('customer.subscription.updated', subscription({ status: 'hibernating' })))).toThrow(/hibernating/);
  });

  it('reads trial-will-end', () => {
    expect(stripeEventChange(event('customer.subscription.trial_will_end', subscription({ trial_end: T0 + 3 * 86_400 })))).toEqual({
      kind: 'trial-will-end',
      tenant: { tenantId: TENANT, customerId: 'cus_1' },
      subscriptionId: 'sub_1',
      trialEndsAt: new Date((T0 + 3 * 86_400) * 1000),
    });
  });

  it('reads invoice facts, the subscription and tenant under parent.subscription_details', () => {
    expect(stripeEventChange(event('invoice.paid', invoice()))).toEqual({
      kind: 'invoice',
      tenant: { tenantId: TENANT, customerId: 'cus_1' },
      subscriptionId: 'sub_1',
      outcome: 'paid',
      invoice: {
        providerInvoiceId: 'in_1',
        number: 'ABC-0001',
        status: 'paid',
        currency: 'eur',
        amountDue: 1900,
        amountPaid: 1900,
        hostedUrl: 'https://invoice.stripe.com/i/1',
        pdfUrl: 'https://pay.stripe.com/invoice/1/pdf',
        periodStart: new Date(T0 * 1000),
        periodEnd: new Date((T0 + 30 * 86_400) * 1000),
        paidAt: new Date((T0 + 60) * 1000),
      },
    });
  });

  it('reads failed and finalized invoices, and the subscription id of older API versions', () => {
    const failed = invoice({
      status: 'open',
      amount_paid: 0,
      status_transitions: { paid_at: null },
      parent: null,
      subscription: 'sub_old',
      lines: { data: [] },
    });
    expect(stripeEventChange(event('invoice.payment_failed', failed))).toMatchObject({
      outcome: 'payment-failed',
      subscriptionId: 'sub_old',
      tenant: { tenantId: null, customerId: 'cus_1' },
      invoice: { status: 'open', paidAt: null, periodStart: new Date((T0 - 86_400) * 1000) },
    });
    expect(stripeEventChange(event('invoice.finalized', invoice({ status: 'open' })))).toMatchObject({ outcome: 'finalized' });
  });

  it('reads a deleted customer, and ignores everything else', () => {
    expect(stripeEventChange(event('customer.deleted', { id: 'cus_1', object: 'customer' }))).toEqual({
      kind: 'customer-deleted',
      customerId: 'cus_1',
    });
    expect(stripeEventChange(event('charge.succeeded', { id: 'ch_1' }))).toEqual({ kind: 'ignored' });
    expect(stripeEventChange(event('something.new', { id: 'x_1' }))).toEqual({ kind: 'ignored' });
  });
});
