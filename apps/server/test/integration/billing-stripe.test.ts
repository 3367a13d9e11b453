import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BillingProviderError,
  type CheckoutRequest,
  type ProviderEvent,
  WebhookSignatureError,
} from '../../src/billing/billing-provider.js';
import type { PlanPriceRow, PlanRow } from '../../src/billing/plans.repo.js';
import { storedStripeEventChange } from '../../src/billing/stripe/stripe-events.js';
import { createBillingProvider, type StripeProvider } from '../../src/billing/stripe/stripe-provider.js';
import { type StripeFake, startStripeFake } from '../support/stripe-fake.js';
import { testConfig } from '../test-env.js';

/**
 * The Stripe provider's outbound calls, made by the real Stripe SDK to a local fake of the Stripe API
 * (STRIPE_API_URL → the SDK's host, port and protocol), and its webhook signature checks.
 */

const WEBHOOK_SECRET = 'whsec_testsecret0123456789';
let fake: StripeFake;

function provider(overrides: Record<string, string> = {}): StripeProvider {
  const config = testConfig({
    STRIPE_SECRET_KEY: 'sk_test_fake123',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: fake.url,
    ...overrides,
  });
  const made = createBillingProvider(config);
  if (!made) throw new Error('Stripe is configured: a provider was expected');
  return made as StripeProvider;
}

/** An event as read from a webhook, with what the provider makes of it. */
const withChange = (event: ProviderEvent) => ({ ...event, change: storedStripeEventChange(event.payload) });

function plan(overrides: Partial<PlanRow> = {}): PlanRow {
  const now = new Date();
  return {
    code: `pro-${randomUUID().slice(0, 8)}`,
    name: 'Pro',
    description: 'For growing teams',
    visibility: 'public',
    sortOrder: 1,
    trialDays: 14,
    perUser: false,
    maxInstances: 3,
    memoryMb: 2048,
    cpuMillis: 2000,
    pids: 512,
    storageGb: 20,
    workers: 2,
    customDomains: true,
    odooVersions: null,
    backupRetention: { daily: 7, weekly: 4, monthly: 3 },
    manualBackupsPerDay: 3,
    providerProductId: null,
    syncedAt: null,
    syncError: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

function price(planCode: string, interval: 'month' | 'year', unitAmount: number, overrides: Partial<PlanPriceRow> = {}): PlanPriceRow {
  return {
    id: randomUUID(),
    planCode,
    interval,
    currency: 'eur',
    unitAmount,
    active: true,
    providerPriceId: null,
    createdAt: new Date(),
    ...overrides,
  };
}

/** The plan and prices as the caller stores them after a sync. */
async function synced(p: PlanRow, prices: PlanPriceRow[]) {
  const result = await provider().syncPlan(p, prices);
  return {
    plan: { ...p, providerProductId: result.productId },
    prices: prices.map((row) => ({ ...row, providerPriceId: result.priceIds[row.id] ?? row.providerPriceId })),
  };
}

function checkoutRequest(p: PlanRow, providerPriceId: string, overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  const tenantId = randomUUID();
  return {
    tenantId,
    tenantName: 'Acme',
    customerId: null,
    email: 'owner@acme.test',
    plan: p,
    price: { ...price(p.code, 'month', 1900), providerPriceId },
    quantity: 1,
    trialDays: 14,
    successUrl: 'http://127.0.0.1:1/billing?checkout=success',
    cancelUrl: 'http://127.0.0.1:1/billing?checkout=canceled',
    idempotencyKey: `checkout-${tenantId}-${providerPriceId}-${Math.floor(Date.now() / 60_000)}`,
    ...overrides,
  };
}

const posts = (path: string) => fake.requests.filter((r) => r.method === 'POST' && r.path === path);

beforeAll(async () => {
  fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
});
afterAll(async () => {
  await fake?.close();
});

describe('Stripe provider: plans', () => {
  it('is absent without Stripe keys (the manual provider)', () => {
    expect(createBillingProvider(testConfig())).toBeNull();
  });

  it('creates the product and its prices with idempotency keys, and a second sync creates nothing', async () => {
    const p = plan();
    const prices = [price(p.code, 'month', 1900), price(p.code, 'year', 19_000)];
    const first = await synced(p, prices);

    const product = fake.state.products.get(first.plan.providerProductId ?? '');
    expect(product).toMatchObject({ name: 'Pro', description: 'For growing teams', metadata: { planCode: p.code } });
    expect(posts('/v1/products').at(-1)?.idempotencyKey).toMatch(new RegExp(`^product-${p.code}-[0-9a-f]{16}$`));
    for (const row of first.prices) {
      expect(fake.state.prices.get(row.providerPriceId ?? '')).toMatchObject({
        product: product?.id,
        currency: 'eur',
        unit_amount: row.unitAmount,
        recurring: { interval: row.interval },
        metadata: { planCode: p.code, planPriceId: row.id },
        active: true,
      });
      expect(posts('/v1/prices').some((r) => r.idempotencyKey === `price-${row.id}`)).toBe(true);
    }

    const products = fake.state.products.size;
    const stripePrices = fake.state.prices.size;
    const creations = posts('/v1/products').length + posts('/v1/prices').length;
    const again = await synced({ ...first.plan, name: 'Pro 2' }, first.prices);
    expect(again.prices.map((r) => r.providerPriceId)).toEqual(first.prices.map((r) => r.providerPriceId));
    expect(posts('/v1/products').length + posts('/v1/prices').length).toBe(creations);
    expect(fake.state.products.get(first.plan.providerProductId ?? '')?.name).toBe('Pro 2');

    // A sync whose result was never saved (a crash) is replayed by Stripe from the keys: still one product, the same prices.
    const replayed = await synced(p, prices);
    expect(replayed.plan.providerProductId).toBe(first.plan.providerProductId);
    expect(replayed.prices.map((r) => r.providerPriceId)).toEqual(first.prices.map((r) => r.providerPriceId));
    expect([fake.state.products.size, fake.state.prices.size]).toEqual([products, stripePrices]);
  });

  it('makes a new Stripe price for a new price row and deactivates the old one', async () => {
    const p = plan({ description: '' });
    const first = await synced(p, [price(p.code, 'month', 1900)]);
    expect(fake.state.products.get(first.plan.providerProductId ?? '')?.description).toBeNull();
    const old = first.prices[0] as PlanPriceRow;
    const next = price(p.code, 'month', 2500);
    const second = await synced(first.plan, [{ ...old, active: false }, next]);

    const created = second.prices[1]?.providerPriceId ?? '';
    expect(created).not.toBe(old.providerPriceId);
    expect(fake.state.prices.get(created)).toMatchObject({ unit_amount: 2500, active: true });
    expect(fake.state.prices.get(old.providerPriceId ?? '')).toMatchObject({ unit_amount: 1900, active: false });
  });
});

describe('Stripe provider: checkout, portal, quantity', () => {
  let p: PlanRow;
  let priceId: string;
  beforeAll(async () => {
    const perUser = plan({ perUser: true });
    const made = await synced(perUser, [price(perUser.code, 'month', 1900)]);
    p = made.plan;
    priceId = made.prices[0]?.providerPriceId ?? '';
  });

  it('creates the customer once and a subscription session with trial and tenant metadata', async () => {
    const request = checkoutRequest(p, priceId, { quantity: 2 });
    const checkout = await provider().createCheckout(request);

    expect(fake.state.customers.get(checkout.customerId)).toMatchObject({
      email: 'owner@acme.test',
      name: 'Acme',
      metadata: { tenantId: request.tenantId },
    });
    const session = fake.state.sessions.get(checkout.sessionId);
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: checkout.customerId,
      client_reference_id: request.tenantId,
      metadata: { tenantId: request.tenantId, planCode: p.code },
      line_items: [{ price: priceId, quantity: 2 }],
      subscription_data: { metadata: { tenantId: request.tenantId }, trial_period_days: 14 },
      automatic_tax: { enabled: false },
      success_url: request.successUrl,
      cancel_url: request.cancelUrl,
    });
    expect(checkout.url).toBe(`${fake.url}/checkout/${checkout.sessionId}`);
    expect(posts('/v1/checkout/sessions').at(-1)?.idempotencyKey).toBe(request.idempotencyKey);

    // The same request again (a double click) is the same session; a later one reuses the customer.
    const customers = fake.state.customers.size;
    expect((await provider().createCheckout(request)).sessionId).toBe(checkout.sessionId);
    const later = await provider().createCheckout({
      ...request,
      customerId: checkout.customerId,
      trialDays: 0,
      idempotencyKey: `${request.idempotencyKey}-2`,
    });
    expect(later.customerId).toBe(checkout.customerId);
    expect(fake.state.customers.size).toBe(customers);
    expect(fake.state.sessions.get(later.sessionId)?.subscription_data.trial_period_days).toBeNull();
  });

  it('asks for Stripe Tax and the address when tax is configured', async () => {
    const checkout = await provider({ STRIPE_TAX: 'true' }).createCheckout(checkoutRequest(p, priceId));
    expect(fake.state.sessions.get(checkout.sessionId)).toMatchObject({
      automatic_tax: { enabled: true },
      customer_update: { address: 'auto' },
    });
  });

  it('walks the hosted checkout, reads its signed webhooks, then sets the quantity and opens the portal', async () => {
    const request = checkoutRequest(p, priceId);
    const checkout = await provider().createCheckout(request);
    const page = await fetch(checkout.url);
    expect(await page.text()).toContain('>Pay</button>');
    const paid = await fetch(`${checkout.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect([paid.status, paid.headers.get('location')]).toEqual([303, request.successUrl]);

    const events = fake.deliveries
      .slice(-4)
      .map((d) => withChange(provider().readWebhook(Buffer.from(fake.signedPayload(d.event).body), fake.signedPayload(d.event).header)));
    expect(events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.finalized',
      'invoice.paid',
    ]);
    const subscriptionId = fake.state.sessions.get(checkout.sessionId)?.subscription ?? '';
    expect(events[0]?.change).toEqual({
      kind: 'checkout-completed',
      tenant: { tenantId: request.tenantId, customerId: checkout.customerId },
      customerId: checkout.customerId,
      subscriptionId,
    });
    expect(events[1]?.change).toMatchObject({
      kind: 'subscription',
      status: 'trialing',
      providerPriceId: priceId,
      quantity: 1,
      tenant: { tenantId: request.tenantId },
    });
    expect(events[3]?.change).toMatchObject({
      kind: 'invoice',
      outcome: 'paid',
      subscriptionId,
      invoice: { status: 'paid', amountPaid: 0 },
    });

    await provider().setQuantity(subscriptionId, 5, `qty-${request.tenantId}-2026-12-01`);
    expect(fake.state.subscription(subscriptionId).items.data[0]?.quantity).toBe(5);
    const update = posts(`/v1/subscriptions/${subscriptionId}`).at(-1);
    expect(update).toMatchObject({
      idempotencyKey: `qty-${request.tenantId}-2026-12-01`,
      body: { proration_behavior: 'create_prorations' },
    });
    // Unchanged quantity: nothing to send.
    await provider().setQuantity(subscriptionId, 5, 'qty-again');
    expect(posts(`/v1/subscriptions/${subscriptionId}`)).toHaveLength(1);

    const portal = await provider().createPortal(checkout.customerId, 'http://127.0.0.1:1/billing');
    expect(portal.url).toMatch(new RegExp(`^${fake.url}/portal/bps_`));
    expect(await (await fetch(portal.url)).text()).toContain('href="http://127.0.0.1:1/billing"');
  });

  it("turns Stripe's refusals into BillingProviderError with Stripe's code", async () => {
    const unknownPrice = provider().createCheckout(checkoutRequest(p, 'price_doesnotexist'));
    await expect(unknownPrice).rejects.toBeInstanceOf(BillingProviderError);
    await expect(unknownPrice).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 400,
      message: expect.stringContaining('price_doesnotexist'),
    });
    await expect(provider().setQuantity('sub_missing', 2, 'qty-missing')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    await expect(
      provider({ STRIPE_SECRET_KEY: 'sk_live_notforthefake' }).createPortal('cus_x', 'http://127.0.0.1:1/'),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('delivers signed webhooks to the endpoint as the subscription fails, recovers and ends', async () => {
    // A receiver that checks each delivery the way the API does: the raw body and its Stripe-Signature header.
    const received: ReturnType<typeof withChange>[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push(withChange(provider().readWebhook(Buffer.concat(chunks), req.headers['stripe-signature'] as string | undefined)));
          res.writeHead(200).end('{"received":true}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    fake.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`);
    try {
      const request = checkoutRequest(p, priceId, { trialDays: 0 });
      const checkout = await provider().createCheckout(request);
      await fetch(`${checkout.url}/pay`, { method: 'POST', redirect: 'manual' });
      const subscriptionId = fake.state.sessions.get(checkout.sessionId)?.subscription ?? '';
      expect(received[1]?.change).toMatchObject({ kind: 'subscription', status: 'active', subscriptionId });
      expect(received[3]?.change).toMatchObject({
        kind: 'invoice',
        outcome: 'paid',
        invoice: { amountPaid: 1900, paidAt: expect.any(Date) },
      });

      const failed = await fake.failPayment(subscriptionId);
      expect(failed.map((d) => d.status)).toEqual([200, 200, 200]);
      expect(received.slice(-2).map((e) => e.change)).toMatchObject([
        { kind: 'invoice', outcome: 'payment-failed', invoice: { status: 'open', amountDue: 1900, amountPaid: 0 } },
        { kind: 'subscription', status: 'past_due', tenant: { tenantId: request.tenantId } },
      ]);
      await fake.payInvoice(subscriptionId);
      expect(received.slice(-2).map((e) => e.change)).toMatchObject([
        { kind: 'invoice', outcome: 'paid', invoice: { status: 'paid' } },
        { kind: 'subscription', status: 'active' },
      ]);
      await fake.cancelSubscription(subscriptionId);
      expect(received.at(-1)).toMatchObject({ type: 'customer.subscription.deleted', change: { status: 'canceled' } });

      // A quantity change at Stripe is told to the endpoint too, after the API answered.
      await provider().setQuantity(subscriptionId, 3, `qty-${request.tenantId}`);
      await fake.idle();
      expect(received.at(-1)?.change).toMatchObject({ kind: 'subscription', quantity: 3 });
      const custom = await fake.sendEvent('customer.deleted', { id: checkout.customerId, object: 'customer' });
      expect(custom.status).toBe(200);
      expect(received.at(-1)?.change).toEqual({ kind: 'customer-deleted', customerId: checkout.customerId });
    } finally {
      fake.setWebhookUrl(null);
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('reports an unreachable Stripe as a BillingProviderError', async () => {
    const closed = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
    await closed.close();
    const unreachable = provider({ STRIPE_API_URL: closed.url }).createPortal('cus_x', 'http://127.0.0.1:1/');
    await expect(unreachable).rejects.toMatchObject({ name: 'BillingProviderError', code: null, statusCode: null });
  });
});

describe('Stripe provider: webhooks', () => {
  const subscriptionEvent = () =>
    fake.event('customer.subscription.updated', {
      id: 'sub_1',
      customer: 'cus_1',
      status: 'past_due',
      metadata: {},
      items: { data: [] },
      cancel_at_period_end: false,
      trial_end: null,
    });

  it('accepts a header made by the SDK test helper', () => {
    const { body, header } = fake.signedPayload(subscriptionEvent());
    const event = withChange(provider().readWebhook(Buffer.from(body), header));
    expect(event).toMatchObject({
      type: 'customer.subscription.updated',
      change: { kind: 'subscription', status: 'past_due', subscriptionId: 'sub_1' },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.occurredAt.getTime()).toBe((JSON.parse(body) as { created: number }).created * 1000);
  });

  it('refuses a missing, wrong, stale or tampered signature', () => {
    const { body, header } = fake.signedPayload(subscriptionEvent());
    const read = (raw: string, signature: string | undefined) => () => provider().readWebhook(Buffer.from(raw), signature);
    const otherSecret = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_someoneelse' });
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: WEBHOOK_SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    for (const [raw, signature] of [
      [body, undefined],
      [body, ''],
      [body, 'garbage'],
      [body, otherSecret],
      [body, stale],
      [body.replace('past_due', 'active'), header],
    ] as const) {
      expect(read(raw, signature)).toThrow(WebhookSignatureError);
    }
  });
});
