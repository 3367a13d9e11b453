import { randomUUID } from 'node:crypto';
import { and, count, eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingAccounts, billingEvents, invoices, subscriptionChanges } from '../../src/billing/billing.tables.js';
import { planPrices, plans } from '../../src/billing/plans.tables.js';
import { tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser, waitForMail } from '../harness.js';

/**
 * Stripe webhooks through the real API and worker: signatures made by the Stripe SDK's own test-header
 * helper, each event stored once by its id and applied once, in whatever order it arrives.
 */

const WEBHOOK_SECRET = 'whsec_webhooktests0123456789';
const PLAN = `pro-${randomUUID().slice(0, 8)}`;
const PRICE = `price_${randomUUID().slice(0, 12)}`;

let h: Harness;
let owner: TestUser;
let admin: TestUser;
const T0 = Math.floor(Date.now() / 1000) - 3600;

/** A Stripe event as its API sends it (only the fields the platform reads). */
function event(type: string, object: Record<string, unknown>, created = T0) {
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    type,
    created,
    data: { object },
  };
}

function subscription(tenantId: string, customer: string, id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: 'subscription',
    customer,
    status,
    metadata: { tenantId },
    cancel_at_period_end: false,
    trial_end: null,
    items: { object: 'list', data: [{ id: `si_${id}`, price: { id: PRICE }, quantity: 1, current_period_end: T0 + 30 * 86400 }] },
    ...extra,
  };
}

function invoice(tenantId: string, customer: string, id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    object: 'invoice',
    customer,
    status,
    number: `INV-${id.slice(-4)}`,
    currency: 'eur',
    amount_due: 2900,
    amount_paid: status === 'paid' ? 2900 : 0,
    hosted_invoice_url: `https://invoice.stripe.test/${id}`,
    invoice_pdf: null,
    metadata: { tenantId },
    period_start: T0,
    period_end: T0 + 30 * 86400,
    status_transitions: { paid_at: status === 'paid' ? T0 : null },
    ...extra,
  };
}

async function deliver(body: object, signature?: string) {
  const payload = JSON.stringify(body);
  const header = signature ?? Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  return call(h.app, 'POST', '/api/v1/billing/stripe/webhook', {
    payload,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
  });
}

async function eventRow(id: string) {
  const [row] = await h.platform.db.select().from(billingEvents).where(eq(billingEvents.id, id));
  return row;
}

async function waitForEvent(id: string, statuses: string[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const row = await eventRow(id);
    if (row && statuses.includes(row.status)) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`event ${id} did not become ${statuses.join('/')}: ${JSON.stringify(await eventRow(id))}`);
}

async function account(tenantId: string) {
  const [row] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId));
  if (!row) throw new Error('no billing account');
  return row;
}

const countWhere = async (table: typeof auditLog | typeof subscriptionChanges | typeof invoices, where: ReturnType<typeof and>) =>
  (await h.platform.db.select({ n: count() }).from(table).where(where))[0]?.n ?? 0;

/** A tenant with its Stripe customer, subscribed by checkout (the events a real checkout sends). */
async function subscribed(user: TestUser) {
  const customer = `cus_${randomUUID().slice(0, 12)}`;
  const sub = `sub_${randomUUID().slice(0, 12)}`;
  const completed = event('checkout.session.completed', {
    id: `cs_${randomUUID().slice(0, 8)}`,
    object: 'checkout.session',
    mode: 'subscription',
    customer,
    subscription: sub,
    client_reference_id: user.tenantId,
    metadata: { tenantId: user.tenantId },
  });
  expect((await deliver(completed)).statusCode).toBe(200);
  await waitForEvent(completed.id, ['processed']);
  const created = event('customer.subscription.created', subscription(user.tenantId, customer, sub, 'active'), T0 + 1);
  expect((await deliver(created)).statusCode).toBe(200);
  await waitForEvent(created.id, ['processed']);
  return { customer, sub };
}

beforeAll(async () => {
  h = await startHarness({
    env: { STRIPE_SECRET_KEY: 'sk_test_webhooks', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: 'http://127.0.0.1:9' },
  });
  await h.platform.db.insert(plans).values({
    code: PLAN,
    name: 'Pro webhooks',
    maxInstances: 5,
    memoryMb: 2048,
    cpuMillis: 2000,
    pids: 512,
    storageGb: 20,
    workers: 2,
  });
  await h.platform.db
    .insert(planPrices)
    .values({ planCode: PLAN, interval: 'month', currency: 'eur', unitAmount: 2900, providerPriceId: PRICE });
  [owner, admin] = await Promise.all([createUser(h, { label: 'wh-owner' }), createUser(h, { label: 'wh-admin', verify: 'direct' })]);
  await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('Stripe webhooks', () => {
  it('applies a valid checkout and subscription: the tenant is on the paid plan, active', async () => {
    const before = await account(owner.tenantId);
    expect(before).toMatchObject({ provider: 'stripe', status: 'active', customerId: null });
    const { customer, sub } = await subscribed(owner);
    expect(await account(owner.tenantId)).toMatchObject({ customerId: customer, subscriptionId: sub, status: 'active' });
    const [tenant] = await h.platform.db.select().from(tenants).where(eq(tenants.id, owner.tenantId));
    expect(tenant?.planCode).toBe(PLAN);
    const billing = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing`, { client: owner });
    expect(billing.statusCode, billing.body).toBe(200);
    expect(billing.json()).toMatchObject({
      provider: 'stripe',
      status: 'active',
      plan: { code: PLAN },
      price: { interval: 'month', unitAmount: 2900 },
      portalAvailable: true,
      nextInvoice: { amount: 2900, currency: 'eur' },
    });
    const changes = await h.platform.db
      .select()
      .from(subscriptionChanges)
      .where(eq(subscriptionChanges.tenantId, owner.tenantId))
      .orderBy(subscriptionChanges.id);
    expect(changes.at(-1)).toMatchObject({ status: 'active', planCode: PLAN, monthlyAmount: 2900 });
    await waitForMail(h.app, owner.email, `now on the Pro webhooks plan`);
  });

  it('refuses a bad or missing signature with 400 and stores nothing', async () => {
    const forged = event('customer.subscription.updated', subscription(owner.tenantId, 'cus_x', 'sub_x', 'canceled'));
    const payload = JSON.stringify(forged);
    const wrong = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_notoursatall' });
    const bad = await deliver(forged, wrong);
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().code).toBe('invalid_signature');
    const missing = await call(h.app, 'POST', '/api/v1/billing/stripe/webhook', {
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('invalid_signature');
    // Signed right, then changed on the way: the signature covers the exact bytes.
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await call(h.app, 'POST', '/api/v1/billing/stripe/webhook', {
      payload: payload.replace('canceled', 'active'),
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
    });
    expect(tampered.statusCode).toBe(400);
    expect(await eventRow(forged.id)).toBeUndefined();
  });

  it('processes the same event delivered twice (at once) only once', async () => {
    const user = await createUser(h, { label: 'wh-dup' });
    const { customer, sub } = await subscribed(user);
    const pastDue = event('customer.subscription.updated', subscription(user.tenantId, customer, sub, 'past_due'), T0 + 10);
    const failed = event('invoice.payment_failed', invoice(user.tenantId, customer, `in_${randomUUID().slice(0, 10)}`, 'open'), T0 + 10);
    const changesBefore = await countWhere(subscriptionChanges, and(eq(subscriptionChanges.tenantId, user.tenantId)));
    const replies = await Promise.all([deliver(pastDue), deliver(pastDue), deliver(failed), deliver(failed)]);
    for (const reply of replies) expect(reply.statusCode, reply.body).toBe(200);
    await waitForEvent(pastDue.id, ['processed']);
    await waitForEvent(failed.id, ['processed']);
    // Delivered again after processing: acknowledged, not applied again; a job run twice (a stalled job
    // taken back by another worker) finds the event processed.
    expect((await deliver(failed)).statusCode).toBe(200);
    expect(await h.platform.billingEvents.process(failed.id)).toBe('already processed');
    await new Promise((r) => setTimeout(r, 500));
    expect(await account(user.tenantId)).toMatchObject({ status: 'past_due' });
    const audited = (action: string, eventId: string) =>
      countWhere(
        auditLog,
        and(eq(auditLog.tenantId, user.tenantId), eq(auditLog.action, action), sql`${auditLog.details}->>'eventId' = ${eventId}`),
      );
    expect(await audited('billing.status_changed', pastDue.id)).toBe(1);
    expect(await audited('billing.payment_failed', failed.id)).toBe(1);
    expect(await countWhere(subscriptionChanges, and(eq(subscriptionChanges.tenantId, user.tenantId)))).toBe(changesBefore + 1);
    expect(await countWhere(invoices, and(eq(invoices.tenantId, user.tenantId)))).toBe(1);
    await waitForMail(h.app, user.email, 'Payment failed');
    const mailbox = await call(h.app, 'GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(user.email)}`);
    expect((mailbox.json() as { subject: string }[]).filter((m) => m.subject.startsWith('Payment failed'))).toHaveLength(1);

    // The invoice is paid later: the account is active again, and the invoice paid with no failure mark.
    const paid = event('invoice.paid', invoice(user.tenantId, customer, failed.data.object.id as string, 'paid'), T0 + 20);
    expect((await deliver(paid)).statusCode).toBe(200);
    await waitForEvent(paid.id, ['processed']);
    expect(await account(user.tenantId)).toMatchObject({ status: 'active' });
    const [row] = await h.platform.db.select().from(invoices).where(eq(invoices.tenantId, user.tenantId));
    expect(row).toMatchObject({ status: 'paid', paymentFailedAt: null, amountPaid: 2900 });
  });

  it('never rolls state back for an update that arrives late', async () => {
    const user = await createUser(h, { label: 'wh-order' });
    const { customer, sub } = await subscribed(user);
    const newer = event(
      'customer.subscription.updated',
      subscription(user.tenantId, customer, sub, 'active', { cancel_at_period_end: true }),
      T0 + 300,
    );
    const older = event('customer.subscription.updated', subscription(user.tenantId, customer, sub, 'past_due'), T0 + 200);
    expect((await deliver(newer)).statusCode).toBe(200);
    await waitForEvent(newer.id, ['processed']);
    expect((await deliver(older)).statusCode).toBe(200);
    await waitForEvent(older.id, ['processed']);
    expect(await account(user.tenantId)).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect((await account(user.tenantId)).providerUpdatedAt?.getTime()).toBe((T0 + 300) * 1000);
    // A payment older than the newest state does not reactivate either: deleted at T0+400, paid "at" T0+350.
    const deleted = event('customer.subscription.deleted', subscription(user.tenantId, customer, sub, 'active'), T0 + 400);
    expect((await deliver(deleted)).statusCode).toBe(200);
    await waitForEvent(deleted.id, ['processed']);
    expect(await account(user.tenantId)).toMatchObject({ status: 'canceled' });
    const latePaid = event('invoice.paid', invoice(user.tenantId, customer, `in_${randomUUID().slice(0, 10)}`, 'paid'), T0 + 350);
    expect((await deliver(latePaid)).statusCode).toBe(200);
    await waitForEvent(latePaid.id, ['processed']);
    expect(await account(user.tenantId)).toMatchObject({ status: 'canceled' });
  });

  it('acknowledges an unknown event type and stores it as ignored', async () => {
    const unknown = event('customer.tax_id.created', { id: 'txi_1', object: 'tax_id', customer: 'cus_unknown' });
    const res = await deliver(unknown);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ received: true });
    expect(await eventRow(unknown.id)).toMatchObject({ status: 'ignored', type: 'customer.tax_id.created' });
    const list = await call(h.app, 'GET', '/api/v1/admin/billing/events?status=ignored', { client: admin });
    expect(list.statusCode, list.body).toBe(200);
    expect((list.json() as { items: { id: string }[] }).items.map((e) => e.id)).toContain(unknown.id);
  });

  it('records a failing event as failed, and the admin retries it once the cause is fixed', async () => {
    const first = await createUser(h, { label: 'wh-fail-a' });
    const second = await createUser(h, { label: 'wh-fail-b' });
    const { customer } = await subscribed(first);
    // The second tenant's checkout names a customer the first one holds: the unique customer refuses it.
    const clash = event('checkout.session.completed', {
      id: `cs_${randomUUID().slice(0, 8)}`,
      object: 'checkout.session',
      mode: 'subscription',
      customer,
      subscription: `sub_${randomUUID().slice(0, 12)}`,
      client_reference_id: second.tenantId,
      metadata: { tenantId: second.tenantId },
    });
    expect((await deliver(clash)).statusCode).toBe(200);
    const failed = await waitForEvent(clash.id, ['failed']);
    expect(failed.attempts).toBeGreaterThanOrEqual(1);
    expect(failed.error).toMatch(/billing_accounts_customer_key|duplicate|unique/i);
    const listed = await call(h.app, 'GET', '/api/v1/admin/billing/events?status=failed', { client: admin });
    expect((listed.json() as { items: { id: string; error: string | null }[] }).items.find((e) => e.id === clash.id)?.error).toBeTruthy();

    // Only platform admins retry, and only what failed.
    expect((await call(h.app, 'POST', `/api/v1/admin/billing/events/${clash.id}/retry`, { client: owner })).statusCode).toBe(403);
    // The first tenant's customer is deleted at Stripe: the customer id is free again.
    const gone = event('customer.deleted', { id: customer, object: 'customer' }, T0 + 500);
    expect((await deliver(gone)).statusCode).toBe(200);
    await waitForEvent(gone.id, ['processed']);
    expect(await account(first.tenantId)).toMatchObject({ customerId: null, status: 'canceled' });
    const retry = await call(h.app, 'POST', `/api/v1/admin/billing/events/${clash.id}/retry`, { client: admin });
    expect([202, 409]).toContain(retry.statusCode); // 409 only if the queue's own retry was faster
    await waitForEvent(clash.id, ['processed'], 30_000);
    expect(await account(second.tenantId)).toMatchObject({ customerId: customer });
    const again = await call(h.app, 'POST', `/api/v1/admin/billing/events/${clash.id}/retry`, { client: admin });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('event_not_failed');
    expect((await call(h.app, 'POST', '/api/v1/admin/billing/events/evt_none/retry', { client: admin })).statusCode).toBe(404);
  }, 60_000);
});
