import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingAccounts, subscriptionChanges } from '../../src/billing/billing.tables.js';
import type { PlanDto, PublicPlanDto } from '../../src/billing/plans.schemas.js';
import { plans } from '../../src/billing/plans.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { type StripeFake, startStripeFake } from '../support/stripe-fake.js';

/** The plan catalog on the real PostgreSQL, with the manual provider (no Stripe keys): prices, visibility, access. */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  [admin, support, owner] = await Promise.all([
    createUser(h, { label: 'plans-admin', verify: 'direct' }),
    createUser(h, { label: 'plans-support', verify: 'direct' }),
    createUser(h, { label: 'plans-owner', verify: 'direct' }),
  ]);
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
});
afterAll(async () => {
  await h.close();
});

/** Plans are shared by every test file: each test makes its own. */
const newCode = () => `t-${randomUUID().slice(0, 8)}`;
const limits = { name: 'Test plan', maxInstances: 2, memoryMb: 1024, cpuMillis: 1000, pids: 512, storageGb: 5, workers: 2 };

async function putPlan(code: string, body: object, client: TestUser = admin) {
  return call(h.app, 'PUT', `/api/v1/admin/plans/${code}`, { client, body: { ...limits, ...body } });
}

async function publicPlans() {
  // No token: the pricing page and sign-up read it before anyone logs in.
  const res = await call(h.app, 'GET', '/api/v1/billing/plans');
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as PublicPlanDto[];
}

describe('plan prices', () => {
  it('makes a new price when an amount changes, keeps the old one inactive, and leaves other fields as they were', async () => {
    const code = newCode();
    const created = await putPlan(code, { description: 'For tests', trialDays: 14, prices: { month: 1500, year: 15_000 } });
    expect(created.statusCode, created.body).toBe(200);
    const plan = created.json() as PlanDto;
    expect(plan).toMatchObject({
      code,
      description: 'For tests',
      trialDays: 14,
      visibility: 'public',
      providerProductId: null,
      syncError: null,
    });
    expect(plan.prices).toEqual([
      expect.objectContaining({ interval: 'month', unitAmount: 1500, currency: 'eur', active: true, providerPriceId: null }),
      expect.objectContaining({ interval: 'year', unitAmount: 15_000, currency: 'eur', active: true }),
    ]);
    const [month, year] = plan.prices;

    // Month changes, year is left out (untouched), the description too (kept).
    const changed = await putPlan(code, { prices: { month: 1900 } });
    expect(changed.statusCode, changed.body).toBe(200);
    const after = changed.json() as PlanDto;
    expect(after.description).toBe('For tests');
    expect(after.trialDays).toBe(14);
    expect(after.prices).toHaveLength(3);
    const active = after.prices.filter((p) => p.active);
    expect(active.map((p) => [p.interval, p.unitAmount])).toEqual([
      ['month', 1900],
      ['year', 15_000],
    ]);
    expect(active.find((p) => p.interval === 'year')?.id).toBe(year?.id);
    expect(after.prices.find((p) => p.id === month?.id)).toMatchObject({ active: false, unitAmount: 1500 });

    // The same amount again is no new price.
    const same = (await putPlan(code, { prices: { month: 1900, year: 15_000 } })).json() as PlanDto;
    expect(same.prices).toHaveLength(3);

    // null: no yearly price any more; the public plan shows the active monthly price only.
    const noYear = (await putPlan(code, { prices: { year: null } })).json() as PlanDto;
    expect(noYear.prices.filter((p) => p.active).map((p) => p.interval)).toEqual(['month']);
    const shown = (await publicPlans()).find((p) => p.code === code);
    expect(shown?.prices).toEqual([{ interval: 'month', currency: 'eur', unitAmount: 1900 }]);
    expect(shown).not.toHaveProperty('pids');
  });

  it('shows public plans only, in their order, and a plan without prices as free', async () => {
    const [first, second, hidden] = [newCode(), newCode(), newCode()];
    expect((await putPlan(second, { sortOrder: 9002 })).statusCode).toBe(200);
    expect((await putPlan(first, { sortOrder: 9001, prices: { month: 900 } })).statusCode).toBe(200);
    expect((await putPlan(hidden, { visibility: 'hidden', sortOrder: 9000 })).statusCode).toBe(200);

    const codes = (await publicPlans()).map((p) => p.code);
    expect(codes).not.toContain(hidden);
    expect(codes.indexOf(first)).toBeLessThan(codes.indexOf(second));
    expect((await publicPlans()).find((p) => p.code === second)?.prices).toEqual([]);

    // Admins still see the hidden plan.
    const all = (await call(h.app, 'GET', '/api/v1/admin/plans', { client: support })).json() as PlanDto[];
    expect(all.find((p) => p.code === hidden)?.visibility).toBe('hidden');
  });
});

describe('bad input', () => {
  const expectProblem = async (res: Awaited<ReturnType<typeof call>>, code: string, fieldCode?: string) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json() as { code: string; errors?: { field: string; code: string }[] };
    expect(body.code).toBe(code);
    if (fieldCode) expect(body.errors?.map((e) => e.code)).toContain(fieldCode);
  };

  it('refuses a negative amount, an unknown Odoo version, a bad code, and hiding the default plan', async () => {
    const code = newCode();
    await expectProblem(await putPlan(code, { prices: { month: -1 } }), 'validation_failed');
    await expectProblem(await putPlan(code, { prices: { month: 10.5 } }), 'validation_failed');
    await expectProblem(await putPlan(code, { odooVersions: ['99.0'] }), 'validation_failed', 'unknown_version');
    await expectProblem(await putPlan('Bad_Code', {}), 'validation_failed');
    await expectProblem(
      await putPlan(h.platform.config.billing.defaultPlan, { visibility: 'hidden' }),
      'validation_failed',
      'default_plan_hidden',
    );
    // Nothing was written by the refused requests.
    const all = (await call(h.app, 'GET', '/api/v1/admin/plans', { client: admin })).json() as PlanDto[];
    expect(all.find((p) => p.code === code)).toBeUndefined();

    const offered = h.platform.config.odooVersions.map((v) => v.version);
    const ok = await putPlan(code, { odooVersions: offered.slice(0, 1) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((ok.json() as PlanDto).odooVersions).toEqual(offered.slice(0, 1));
  });
});

describe('who may change plans', () => {
  it('lets support read the catalog but not change it; sync is refused without a provider', async () => {
    const code = newCode();
    expect((await call(h.app, 'GET', '/api/v1/admin/plans', { client: support })).statusCode).toBe(200);
    expect((await putPlan(code, {}, support)).statusCode).toBe(403);
    expect((await putPlan(code, {}, owner)).statusCode).toBe(403);
    expect((await call(h.app, 'GET', '/api/v1/admin/plans', { client: owner })).statusCode).toBe(403);
    expect((await call(h.app, 'POST', `/api/v1/admin/plans/${code}/sync`, { client: support })).statusCode).toBe(403);

    expect((await putPlan(code, {})).statusCode).toBe(200);
    const sync = await call(h.app, 'POST', `/api/v1/admin/plans/${code}/sync`, { client: admin });
    expect(sync.statusCode, sync.body).toBe(409);
    expect(sync.json().code).toBe('billing_manual');
  });
});

describe('moving a tenant to a plan', () => {
  it('points a manual account at the plan’s monthly price and records the change for revenue', async () => {
    const code = newCode();
    const plan = (await putPlan(code, { prices: { month: 2500, year: 25_000 } })).json() as PlanDto;
    const monthly = plan.prices.find((p) => p.interval === 'month' && p.active);

    const res = await call(h.app, 'PUT', `/api/v1/admin/tenants/${owner.tenantId}/plan`, { client: admin, body: { planCode: code } });
    expect(res.statusCode, res.body).toBe(200);
    const [account] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId));
    expect(account).toMatchObject({ provider: 'manual', priceId: monthly?.id });
    const [change] = await h.platform.db
      .select()
      .from(subscriptionChanges)
      .where(and(eq(subscriptionChanges.tenantId, owner.tenantId), eq(subscriptionChanges.planCode, code)))
      .orderBy(desc(subscriptionChanges.id));
    expect(change).toBeDefined();
    expect(change?.monthlyAmount).toBe(['active', 'past_due'].includes(account?.status ?? '') ? 2500 : 0);

    const missing = await call(h.app, 'PUT', `/api/v1/admin/tenants/${owner.tenantId}/plan`, {
      client: admin,
      body: { planCode: newCode() },
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('sync with Stripe (the local fake of its API)', () => {
  let fake: StripeFake;
  let withStripe: Harness;

  beforeAll(async () => {
    const webhookSecret = 'whsec_plansync0123456789';
    fake = await startStripeFake({ webhookSecret });
    withStripe = await startHarness({
      withWorker: false,
      env: { STRIPE_SECRET_KEY: 'sk_test_plansync', STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_API_URL: fake.url },
    });
  });
  afterAll(async () => {
    await withStripe?.close();
    await fake?.close();
  });

  const put = (code: string, body: object) =>
    call(withStripe.app, 'PUT', `/api/v1/admin/plans/${code}`, { client: admin, body: { ...limits, ...body } });

  it('makes the product and a new Stripe price per amount, records a refusal without failing the save, and retries', async () => {
    const code = newCode();
    const first = (await put(code, { description: 'Synced', prices: { month: 3000 } })).json() as PlanDto;
    expect(first.providerProductId).toMatch(/^prod_/);
    expect(first.syncError).toBeNull();
    expect(first.syncedAt).not.toBeNull();
    const [oldPrice] = first.prices;
    expect(oldPrice?.providerPriceId).toMatch(/^price_/);
    expect(fake.state.prices.get(oldPrice?.providerPriceId ?? '')).toMatchObject({ unit_amount: 3000, currency: 'eur', active: true });
    const keys = fake.requests.map((r) => r.idempotencyKey);
    expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^product-${code}-`)), `price-${oldPrice?.id}`]));

    // A new amount: a new Stripe price; the old one stays for its subscribers but is no longer offered.
    const second = (await put(code, { prices: { month: 3500 } })).json() as PlanDto;
    const current = second.prices.find((p) => p.active);
    expect(current?.providerPriceId).toMatch(/^price_/);
    expect(current?.providerPriceId).not.toBe(oldPrice?.providerPriceId);
    expect(fake.state.prices.get(current?.providerPriceId ?? '')).toMatchObject({ unit_amount: 3500, product: first.providerProductId });
    expect(fake.state.prices.get(oldPrice?.providerPriceId ?? '')?.active).toBe(false);

    // Stripe refuses (its product is gone): the save stands, the error is on the plan, a retry answers 502.
    await withStripe.platform.db.update(plans).set({ providerProductId: 'prod_gone' }).where(eq(plans.code, code));
    const refused = await put(code, { name: 'Renamed' });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({ name: 'Renamed', syncError: expect.stringContaining('prod_gone') });
    const retry = await call(withStripe.app, 'POST', `/api/v1/admin/plans/${code}/sync`, { client: admin });
    expect(retry.statusCode, retry.body).toBe(502);
    expect(retry.json().code).toBe('billing_provider_error');

    // Put right (the product is back): the retry syncs and clears the error.
    await withStripe.platform.db.update(plans).set({ providerProductId: first.providerProductId }).where(eq(plans.code, code));
    const fixed = await call(withStripe.app, 'POST', `/api/v1/admin/plans/${code}/sync`, { client: admin });
    expect(fixed.statusCode, fixed.body).toBe(200);
    expect(fixed.json()).toMatchObject({ syncError: null, providerProductId: first.providerProductId });
    expect(fake.state.products.get(first.providerProductId ?? '')?.name).toBe('Renamed');
  });
});
