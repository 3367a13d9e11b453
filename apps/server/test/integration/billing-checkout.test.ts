import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingAccounts, billingEvents } from '../../src/billing/billing.tables.js';
import { planPrices, plans } from '../../src/billing/plans.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { type StripeFake, startStripeFake } from '../support/stripe-fake.js';

/**
 * Checkout and the portal with Stripe: the real SDK calls a local fake of the Stripe API, whose hosted
 * "Pay" page sends signed webhooks back to this API listening on loopback; the real worker applies them.
 */

const WEBHOOK_SECRET = 'whsec_checkouttests0123456789';
const PLAN = `pro-${randomUUID().slice(0, 8)}`;
const BROKEN_PLAN = `broken-${randomUUID().slice(0, 8)}`;
const GONE_PRICE = `price_gone_${randomUUID().slice(0, 8)}`;

let fake: StripeFake;
let h: Harness;
let owner: TestUser;

async function account(tenantId: string) {
  const [row] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId));
  if (!row) throw new Error('no billing account');
  return row;
}

/** Waits until every webhook the fake sent was answered and processed by the worker. */
async function settled() {
  await fake.idle();
  const ids = fake.deliveries.map((d) => d.event.id);
  for (const d of fake.deliveries) expect(d.status, `${d.event.type}: ${d.body} ${d.error}`).toBe(200);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const rows = await h.platform.db.select({ id: billingEvents.id, status: billingEvents.status }).from(billingEvents);
    const pending = ids.filter((id) => !rows.some((r) => r.id === id && (r.status === 'processed' || r.status === 'ignored')));
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('webhooks were not processed in time');
}

beforeAll(async () => {
  fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
  h = await startHarness({
    env: { STRIPE_SECRET_KEY: 'sk_test_checkout', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: fake.url },
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  fake.setWebhookUrl(`http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/api/v1/billing/stripe/webhook`);

  const limits = { maxInstances: 3, memoryMb: 1024, cpuMillis: 1000, pids: 256, storageGb: 10, workers: 1 };
  const [plan] = await h.platform.db
    .insert(plans)
    .values({ code: PLAN, name: 'Pro checkout', trialDays: 0, ...limits })
    .returning();
  const [price] = await h.platform.db
    .insert(planPrices)
    .values({ planCode: PLAN, interval: 'month', currency: 'eur', unitAmount: 3900 })
    .returning();
  if (!plan || !price || !h.platform.billingProvider) throw new Error('set-up failed');
  // The plan as the catalog syncs it: a product and price at (fake) Stripe.
  const synced = await h.platform.billingProvider.syncPlan(plan, [price]);
  await h.platform.db.update(planPrices).set({ providerPriceId: synced.priceIds[price.id] }).where(eq(planPrices.id, price.id));
  await h.platform.db.insert(plans).values({ code: BROKEN_PLAN, name: 'Broken', ...limits });
  await h.platform.db
    .insert(planPrices)
    .values({ planCode: BROKEN_PLAN, interval: 'month', currency: 'eur', unitAmount: 100, providerPriceId: GONE_PRICE });
  owner = await createUser(h, { label: 'co-owner' });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await fake?.close();
});

describe('Stripe checkout and portal', () => {
  it('checks out on the hosted page, and the webhooks put the tenant on the plan', async () => {
    const checkout = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/billing/checkout`, {
      client: owner,
      body: { planCode: PLAN, interval: 'month' },
    });
    expect(checkout.statusCode, checkout.body).toBe(200);
    const url: string = checkout.json().url;
    expect(url.startsWith(`${fake.url}/checkout/`)).toBe(true);
    const created = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
    expect(created?.idempotencyKey).toMatch(new RegExp(`^checkout-${owner.tenantId}-[0-9a-f-]{36}-\\d+-\\d+$`));
    expect(created?.body).toMatchObject({ client_reference_id: owner.tenantId, metadata: { tenantId: owner.tenantId } });
    const customerId = (await account(owner.tenantId)).customerId;
    expect(customerId).toMatch(/^cus_/);

    // The customer presses "Pay": Stripe redirects back to the billing page after its webhooks.
    const paid = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toMatch(/\/billing\?checkout=success$/);
    await settled();
    const billing = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing`, { client: owner });
    expect(billing.json()).toMatchObject({ provider: 'stripe', status: 'active', plan: { code: PLAN }, portalAvailable: true });
    const invoices = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing/invoices`, { client: owner });
    expect(invoices.json()).toMatchObject([{ status: 'paid', amountPaid: 3900 }]);
    expect(invoices.json()[0].hostedUrl).toMatch(/^http/);

    const again = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/billing/checkout`, {
      client: owner,
      body: { planCode: PLAN, interval: 'month' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('subscription_exists');
  });

  it('opens the portal, and follows a failed then paid renewal', async () => {
    const portal = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/billing/portal`, { client: owner });
    expect(portal.statusCode, portal.body).toBe(200);
    expect(portal.json().url.startsWith(`${fake.url}/portal/`)).toBe(true);

    const { subscriptionId } = await account(owner.tenantId);
    if (!subscriptionId) throw new Error('no subscription stored');
    await fake.failPayment(subscriptionId);
    await settled();
    expect(await account(owner.tenantId)).toMatchObject({ status: 'past_due' });
    const billing = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing`, { client: owner });
    expect(billing.json()).toMatchObject({ status: 'past_due', access: 'grace', notices: [{ kind: 'past-due' }] });
    await fake.payInvoice(subscriptionId);
    await settled();
    expect(await account(owner.tenantId)).toMatchObject({ status: 'active' });
  });

  it('sends a tenant billed by hand before Stripe was connected through Checkout, which moves it to Stripe', async () => {
    const legacy = await createUser(h, { label: 'co-legacy', verify: 'direct' });
    await h.platform.db.update(billingAccounts).set({ provider: 'manual' }).where(eq(billingAccounts.tenantId, legacy.tenantId));
    const checkout = await call(h.app, 'POST', `/api/v1/tenants/${legacy.tenantId}/billing/checkout`, {
      client: legacy,
      body: { planCode: PLAN, interval: 'month' },
    });
    expect(checkout.statusCode, checkout.body).toBe(200);
    const url: string = checkout.json().url;
    expect(url.startsWith(`${fake.url}/checkout/`), url).toBe(true);
    expect((await account(legacy.tenantId)).provider).toBe('manual'); // nothing is paid yet

    expect((await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
    await settled();
    expect(await account(legacy.tenantId)).toMatchObject({ provider: 'stripe', status: 'active' });
    expect((await account(legacy.tenantId)).subscriptionId).toMatch(/^sub_/);
  });

  it('shows a Stripe refusal as a 502 problem with Stripe’s message', async () => {
    const other = await createUser(h, { label: 'co-broken', verify: 'direct' });
    const res = await call(h.app, 'POST', `/api/v1/tenants/${other.tenantId}/billing/checkout`, {
      client: other,
      body: { planCode: BROKEN_PLAN, interval: 'month' },
    });
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('billing_provider_error');
    expect(res.json().detail).toContain(GONE_PRICE);
  });

  it('cancels the subscription at Stripe when an operator deletes the tenant', async () => {
    const paying = await createUser(h, { label: 'co-deleted', verify: 'direct' });
    const checkout = await call(h.app, 'POST', `/api/v1/tenants/${paying.tenantId}/billing/checkout`, {
      client: paying,
      body: { planCode: PLAN, interval: 'month' },
    });
    expect((await fetch(`${checkout.json().url}/pay`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
    await settled();
    const { subscriptionId } = await account(paying.tenantId);
    if (!subscriptionId) throw new Error('no subscription stored');
    const admin = await createUser(h, { label: 'co-admin', verify: 'direct' });
    await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });

    const tenantName = (await call(h.app, 'GET', `/api/v1/admin/tenants/${paying.tenantId}`, { client: admin })).json().name;
    const deleted = await call(h.app, 'POST', `/api/v1/admin/tenants/${paying.tenantId}/delete`, {
      client: admin,
      body: { reason: 'closing the account on request', confirmName: tenantName },
    });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ firstRequest: true, subscription: 'canceled' });
    const cancel = fake.requests.find((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${subscriptionId}`);
    expect(cancel?.idempotencyKey).toBe(`tenant-delete-${paying.tenantId}`);
    expect(fake.state.subscription(subscriptionId).status).toBe('canceled');
    await settled();
    expect(await account(paying.tenantId)).toMatchObject({ status: 'canceled' });

    // Repeating the deletion does not cancel twice.
    const again = await call(h.app, 'POST', `/api/v1/admin/tenants/${paying.tenantId}/delete`, {
      client: admin,
      body: { reason: 'closing the account on request', confirmName: tenantName },
    });
    expect(again.json()).toMatchObject({ firstRequest: false, subscription: 'none' });
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });
});
