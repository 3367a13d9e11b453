import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingAccounts, invoices, subscriptionChanges } from '../../src/billing/billing.tables.js';
import { planPrices, plans } from '../../src/billing/plans.tables.js';
import { TenantsRepository } from '../../src/tenants/tenants.repo.js';
import { tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser, waitForMail } from '../harness.js';

/**
 * The manual provider (no Stripe keys): the admin sets subscription states and records payments through
 * the same `apply` as provider events; tenants choose plans without a checkout page.
 */

const suffix = randomUUID().slice(0, 8);
const TRIAL_PLAN = `team-${suffix}`;
const PAID_PLAN = `biz-${suffix}`;
const HIDDEN_PLAN = `secret-${suffix}`;

let h: Harness;
let owner: TestUser;
let member: TestUser;
let admin: TestUser;
let support: TestUser;

const subscription = (tenantId: string, by: TestUser, body: object) =>
  call(h.app, 'PUT', `/api/v1/admin/tenants/${tenantId}/subscription`, { client: by, body });
const payment = (tenantId: string, by: TestUser, body: object) =>
  call(h.app, 'POST', `/api/v1/admin/tenants/${tenantId}/payments`, { client: by, body });
const billing = async (user: TestUser) => {
  const res = await call(h.app, 'GET', `/api/v1/tenants/${user.tenantId}/billing`, { client: user });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

async function account(tenantId: string) {
  const [row] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId));
  return row;
}

async function addPlan(code: string, options: { trialDays: number; amount: number | null; visibility?: 'public' | 'hidden' }) {
  await h.platform.db.insert(plans).values({
    code,
    name: `Plan ${code}`,
    maxInstances: 3,
    memoryMb: 1024,
    cpuMillis: 1000,
    pids: 256,
    storageGb: 10,
    workers: 1,
    trialDays: options.trialDays,
    visibility: options.visibility ?? 'public',
  });
  if (options.amount !== null) {
    await h.platform.db.insert(planPrices).values({ planCode: code, interval: 'month', currency: 'eur', unitAmount: options.amount });
  }
}

beforeAll(async () => {
  h = await startHarness();
  [owner, member, admin, support] = await Promise.all([
    createUser(h, { label: 'mb-owner' }),
    createUser(h, { label: 'mb-member', verify: 'direct' }),
    createUser(h, { label: 'mb-admin', verify: 'direct' }),
    createUser(h, { label: 'mb-support', verify: 'direct' }),
  ]);
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
  await new TenantsRepository(h.platform.db).addMember(owner.tenantId, member.userId, 'member');
  await addPlan(TRIAL_PLAN, { trialDays: 14, amount: 1900 });
  await addPlan(PAID_PLAN, { trialDays: 14, amount: 4900 });
  await addPlan(HIDDEN_PLAN, { trialDays: 0, amount: 100, visibility: 'hidden' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('manual billing provider', () => {
  it('gives a new tenant a manual, active account on the free default plan', async () => {
    expect(await account(owner.tenantId)).toMatchObject({ provider: 'manual', status: 'active', priceId: null, access: 'full' });
    const dto = await billing(member);
    expect(dto).toMatchObject({
      provider: 'manual',
      status: 'active',
      plan: { code: 'starter' },
      price: null,
      portalAvailable: false,
      notices: [],
    });
    // Members see the state; invoices are for owners and admins.
    expect((await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing/invoices`, { client: member })).statusCode).toBe(403);
    const portal = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/billing/portal`, { client: owner });
    expect(portal.statusCode).toBe(409);
    expect(portal.json().code).toBe('portal_unavailable');
    const webhook = await call(h.app, 'POST', '/api/v1/billing/stripe/webhook', {
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(webhook.statusCode).toBe(404);
    expect(webhook.json().code).toBe('billing_manual');
  });

  it('lets only platform admins set states and record payments', async () => {
    for (const user of [owner, member, support]) {
      expect((await subscription(owner.tenantId, user, { status: 'past_due', reason: 'bank transfer late' })).statusCode).toBe(403);
      expect((await payment(owner.tenantId, user, { amount: 100, reference: 'x' })).statusCode).toBe(403);
    }
    const bad = await subscription(owner.tenantId, admin, { status: 'none', reason: 'x' });
    expect(bad.statusCode).toBe(400);
    expect((await account(owner.tenantId))?.status).toBe('active');
  });

  it('walks past_due → paid → active, and canceled → active, with audit rows and mail', async () => {
    const pastDue = await subscription(owner.tenantId, admin, { status: 'past_due', reason: 'Invoice 2026-11 unpaid' });
    expect(pastDue.statusCode, pastDue.body).toBe(200);
    expect(pastDue.json()).toMatchObject({ status: 'past_due', access: 'grace', notices: [{ kind: 'past-due' }] });
    expect(pastDue.json().notices[0].deadline).toBeTruthy();
    await waitForMail(h.app, owner.email, 'Payment failed');
    const [audit] = await h.platform.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, owner.tenantId), eq(auditLog.action, 'billing.status_changed')))
      .orderBy(desc(auditLog.id))
      .limit(1);
    expect(audit).toMatchObject({ actorId: admin.userId, details: { from: 'active', to: 'past_due', reason: 'Invoice 2026-11 unpaid' } });

    const paid = await payment(owner.tenantId, admin, { amount: 1900, reference: 'SEPA 123' });
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({ status: 'paid', amountPaid: 1900, amountDue: 1900, currency: 'eur', number: 'SEPA 123' });
    expect(paid.json().note).toContain('SEPA 123');
    expect((await billing(owner)).status).toBe('active');
    await waitForMail(h.app, owner.email, 'Payment received');
    const list = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing/invoices`, { client: owner });
    expect(list.json().map((i: { id: string }) => i.id)).toContain(paid.json().id);

    const canceled = await subscription(owner.tenantId, admin, { status: 'canceled', reason: 'customer left' });
    expect(canceled.json()).toMatchObject({ status: 'canceled', access: 'suspended', notices: [{ kind: 'canceled' }] });
    expect((await subscription(owner.tenantId, admin, { status: 'active', reason: 'came back' })).json()).toMatchObject({
      status: 'active',
      access: 'full',
    });
    const history = await h.platform.db
      .select({ status: subscriptionChanges.status })
      .from(subscriptionChanges)
      .where(eq(subscriptionChanges.tenantId, owner.tenantId))
      .orderBy(subscriptionChanges.id);
    expect(history.map((c) => c.status)).toEqual(['active', 'past_due', 'active', 'canceled', 'active']);
  });

  it('refuses manual actions on a Stripe account', async () => {
    const other = await createUser(h, { label: 'mb-stripe', verify: 'direct' });
    await h.platform.db.update(billingAccounts).set({ provider: 'stripe' }).where(eq(billingAccounts.tenantId, other.tenantId));
    for (const res of [
      await subscription(other.tenantId, admin, { status: 'canceled', reason: 'try it' }),
      await payment(other.tenantId, admin, { amount: 100, reference: 'cash' }),
    ]) {
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().code).toBe('billing_stripe');
    }
    expect((await account(other.tenantId))?.status).toBe('active');
    expect((await subscription(randomUUID(), admin, { status: 'active', reason: 'nobody' })).statusCode).toBe(404);
  });

  it('switches plans at checkout: trial once, then active with an open invoice, then back to free', async () => {
    const user = await createUser(h, { label: 'mb-checkout', verify: 'direct' });
    const checkout = (planCode: string, interval = 'month') =>
      call(h.app, 'POST', `/api/v1/tenants/${user.tenantId}/billing/checkout`, { client: user, body: { planCode, interval } });

    expect((await checkout(HIDDEN_PLAN)).statusCode).toBe(404);
    expect((await checkout('no-such-plan')).statusCode).toBe(404);
    const yearly = await checkout(TRIAL_PLAN, 'year');
    expect(yearly.statusCode).toBe(400);
    expect(yearly.json().code).toBe('price_unavailable');

    const trial = await checkout(TRIAL_PLAN);
    expect(trial.statusCode, trial.body).toBe(200);
    expect(trial.json().url).toMatch(/\/billing\?checkout=success$/);
    const onTrial = await billing(user);
    expect(onTrial).toMatchObject({ status: 'trialing', plan: { code: TRIAL_PLAN }, price: { unitAmount: 1900 } });
    const trialDays = (new Date(onTrial.trialEndsAt).getTime() - Date.now()) / 86_400_000;
    expect(trialDays).toBeGreaterThan(13.9);
    const [tenant] = await h.platform.db.select().from(tenants).where(eq(tenants.id, user.tenantId));
    expect(tenant?.planCode).toBe(TRIAL_PLAN);
    await waitForMail(h.app, user.email, `now on the Plan ${TRIAL_PLAN} plan`);

    // The trial was used: the next paid plan is active at once, with its first invoice open.
    expect((await checkout(PAID_PLAN)).statusCode).toBe(200);
    expect(await billing(user)).toMatchObject({ status: 'active', plan: { code: PAID_PLAN }, nextInvoice: { amount: 4900 } });
    const open = await h.platform.db.select().from(invoices).where(eq(invoices.tenantId, user.tenantId));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ status: 'open', amountDue: 4900, provider: 'manual' });

    expect((await checkout('starter')).statusCode).toBe(200);
    expect(await billing(user)).toMatchObject({ status: 'active', plan: { code: 'starter' }, price: null, nextInvoice: null });
    const [last] = await h.platform.db
      .select()
      .from(subscriptionChanges)
      .where(eq(subscriptionChanges.tenantId, user.tenantId))
      .orderBy(desc(subscriptionChanges.id))
      .limit(1);
    expect(last).toMatchObject({ planCode: 'starter', monthlyAmount: 0 });
    // A member may not choose plans.
    const byMember = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/billing/checkout`, {
      client: member,
      body: { planCode: TRIAL_PLAN, interval: 'month' },
    });
    expect(byMember.statusCode).toBe(403);
  });
});
