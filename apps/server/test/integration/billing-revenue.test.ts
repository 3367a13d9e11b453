import { randomUUID } from 'node:crypto';
import { eq, lt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingAccounts, invoices, subscriptionChanges } from '../../src/billing/billing.tables.js';
import { PlansRepository } from '../../src/billing/plans.repo.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';

/**
 * The admin's billing reports on the real PostgreSQL. Revenue runs over a simulated calendar in 1999 and
 * 2000, years no other test writes changes in, so the numbers can be exact although the table is shared.
 */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;

const SIMULATED_BEFORE = new Date('2001-01-01T00:00:00Z');

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  [admin, support, owner] = await Promise.all([
    createUser(h, { label: 'rev-admin', verify: 'direct' }),
    createUser(h, { label: 'rev-support', verify: 'direct' }),
    createUser(h, { label: 'rev-owner', verify: 'direct' }),
  ]);
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
  // Left over by an interrupted earlier run.
  await h.platform.db.delete(subscriptionChanges).where(lt(subscriptionChanges.at, SIMULATED_BEFORE));
});
afterAll(async () => {
  await h.platform.db.delete(subscriptionChanges).where(lt(subscriptionChanges.at, SIMULATED_BEFORE));
  await h.close();
});

type Status = (typeof subscriptionChanges.$inferInsert)['status'];
const change = (tenantId: string, at: string, status: Status, monthlyAmount: number, currency = 'eur') => ({
  tenantId,
  at: new Date(at),
  status,
  monthlyAmount,
  currency,
  planCode: 'simulated',
});

describe('revenue over time', () => {
  it('computes MRR, ARR, paying subscriptions and churn for each day exactly', async () => {
    const [a, b, c, d, e, f, g, hh, i, j] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => randomUUID()) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    await h.platform.db.insert(subscriptionChanges).values([
      // Before the window: A, I, J pay 10 € each (3 paying, MRR 3000); D joins on 02-25.
      change(a, '1999-01-10T12:00:00Z', 'active', 1000),
      change(i, '1999-01-05T12:00:00Z', 'active', 1000),
      change(j, '1999-01-05T12:00:00Z', 'active', 1000),
      change(d, '1999-02-25T12:00:00Z', 'active', 800),
      change(b, '1999-03-01T10:00:00Z', 'trialing', 0),
      // In the window (03-22 … 03-31).
      change(e, '1999-03-22T10:00:00Z', 'active', 700, 'usd'), // another currency: paying, not in MRR
      change(b, '1999-03-23T09:00:00Z', 'active', 2000),
      change(c, '1999-03-24T10:00:00Z', 'active', 500),
      change(c, '1999-03-24T18:00:00Z', 'active', 1500), // same day: the last change counts
      change(d, '1999-03-25T08:00:00Z', 'unpaid', 0), // churn
      change(f, '1999-03-26T08:00:00Z', 'trialing', 0),
      change(b, '1999-03-27T15:00:00Z', 'past_due', 2000), // still paying
      change(f, '1999-03-28T08:00:00Z', 'canceled', 0), // never paid: no churn
      change(b, '1999-03-29T08:00:00Z', 'canceled', 0), // churn
      change(a, '1999-03-30T00:00:00Z', 'active', 1100), // midnight belongs to the new day
      change(hh, '1999-03-31T23:59:59Z', 'active', 100),
      change(g, '1999-04-02T00:00:00Z', 'active', 9999), // after the window
    ]);

    const revenue = await h.platform.billingReports.revenue(10, new Date('1999-03-31T12:00:00Z'));
    expect(revenue.currency).toBe('eur');
    const table = revenue.points.map((p) => [p.day, p.mrr, p.arr, p.subscriptions, p.churned, Number(p.churnRate.toFixed(4))]);
    expect(table).toEqual([
      ['1999-03-22', 3800, 45_600, 5, 0, 0],
      ['1999-03-23', 5800, 69_600, 6, 0, 0],
      ['1999-03-24', 7300, 87_600, 7, 0, 0],
      // Churn rate: churned over the 30 days up to the day / paying 30 days before (3 until 02-24, then 4).
      ['1999-03-25', 6500, 78_000, 6, 1, 0.3333],
      ['1999-03-26', 6500, 78_000, 6, 0, 0.3333],
      ['1999-03-27', 6500, 78_000, 6, 0, 0.25],
      ['1999-03-28', 6500, 78_000, 6, 0, 0.25],
      ['1999-03-29', 4500, 54_000, 5, 1, 0.5],
      ['1999-03-30', 4600, 55_200, 5, 0, 0.5],
      ['1999-03-31', 4700, 56_400, 6, 0, 0.5],
    ]);
  });

  it('stays fast with many tenants and a two-year window', async () => {
    await h.platform.db.delete(subscriptionChanges).where(lt(subscriptionChanges.at, SIMULATED_BEFORE));
    // 20 000 tenants, three changes each, over the year 2000.
    await h.platform.db.execute(sql`
      insert into subscription_changes (tenant_id, status, plan_code, monthly_amount, currency, at)
      select t.id, s.status, 'simulated', s.amount, 'eur', timestamptz '2000-01-01' + (n * 7 % 300 + s.offset_days) * interval '1 day'
      from (select n, gen_random_uuid() as id from generate_series(1, 20000) n) t
      cross join (values ('trialing', 0, 0), ('active', 1000, 14), ('canceled', 0, 40)) as s(status, amount, offset_days)`);
    const started = performance.now();
    const revenue = await h.platform.billingReports.revenue(730, new Date('2000-12-31T12:00:00Z'));
    const elapsed = performance.now() - started;
    expect(revenue.points).toHaveLength(730);
    expect(revenue.points.at(-1)).toMatchObject({ day: '2000-12-31', mrr: 0, subscriptions: 0 });
    expect(Math.max(...revenue.points.map((p) => p.mrr))).toBeGreaterThan(0);
    expect(revenue.points.reduce((sum, p) => sum + p.churned, 0)).toBe(20_000);
    expect(elapsed).toBeLessThan(3000);
  });

  it('serves the last days to staff over HTTP, today last', async () => {
    const res = await call(h.app, 'GET', '/api/v1/admin/billing/revenue?days=7', { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const { points } = res.json() as { points: { day: string }[] };
    expect(points).toHaveLength(7);
    expect(points.at(-1)?.day).toBe(new Date().toISOString().slice(0, 10));
    expect((await call(h.app, 'GET', '/api/v1/admin/billing/revenue?days=3', { client: support })).statusCode).toBe(400);
    expect((await call(h.app, 'GET', '/api/v1/admin/billing/revenue', { client: owner })).statusCode).toBe(403);
  });
});

describe('subscriptions and invoices', () => {
  it('lists subscriptions by state with their monthly amount (a yearly price counts a twelfth × quantity)', async () => {
    const code = `t-${randomUUID().slice(0, 8)}`;
    const put = await call(h.app, 'PUT', `/api/v1/admin/plans/${code}`, {
      client: admin,
      body: {
        name: 'Yearly',
        maxInstances: 1,
        memoryMb: 512,
        cpuMillis: 500,
        pids: 256,
        storageGb: 1,
        workers: 0,
        prices: { year: 12_000 },
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const yearly = await new PlansRepository(h.platform.db).activePrice(code, 'year');
    await h.platform.db.execute(sql`update tenants set plan_code = ${code} where id = ${owner.tenantId}`);
    await h.platform.db
      .update(billingAccounts)
      .set({ status: 'active', priceId: yearly?.id, quantity: 2, statusSince: new Date(Date.now() + 60_000) })
      .where(eq(billingAccounts.tenantId, owner.tenantId));

    const res = await call(h.app, 'GET', '/api/v1/admin/billing/subscriptions?status=active&limit=5', { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: { tenantId: string; status: string; monthlyAmount: number; planCode: string }[]; total: number };
    expect(page.items.length).toBeLessThanOrEqual(5);
    expect(page.items.every((s) => s.status === 'active')).toBe(true);
    expect(page.items[0]).toMatchObject({
      tenantId: owner.tenantId,
      planCode: code,
      monthlyAmount: 2000,
      currency: 'eur',
      provider: 'manual',
    });

    await h.platform.db.update(billingAccounts).set({ status: 'canceled' }).where(eq(billingAccounts.tenantId, owner.tenantId));
    const canceled = await call(h.app, 'GET', '/api/v1/admin/billing/subscriptions?status=canceled&limit=200', { client: support });
    expect(canceled.json().items.find((s: { tenantId: string }) => s.tenantId === owner.tenantId)?.monthlyAmount).toBe(0);
    expect((await call(h.app, 'GET', '/api/v1/admin/billing/subscriptions?status=bogus', { client: support })).statusCode).toBe(400);
    expect((await call(h.app, 'GET', '/api/v1/admin/billing/subscriptions', { client: owner })).statusCode).toBe(403);
  });

  it('lists failed payments: unpaid invoices whose last attempt failed', async () => {
    const base = { tenantId: owner.tenantId, provider: 'manual' as const, currency: 'eur', amountDue: 1000 };
    const inserted = await h.platform.db
      .insert(invoices)
      .values([
        { ...base, status: 'paid', amountPaid: 1000, paidAt: new Date(), paymentFailedAt: new Date(), note: 'paid after a failure' },
        { ...base, status: 'open', paymentFailedAt: new Date(), note: 'failed' },
        { ...base, status: 'open', note: 'just open' },
      ])
      .returning();
    const ids = new Set(inserted.map((r) => r.id));
    const list = async (query: string) => {
      const res = await call(h.app, 'GET', `/api/v1/admin/billing/invoices?${query}&limit=200`, { client: support });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { items: { id: string; note: string; tenantName: string }[] }).items.filter((i) => ids.has(i.id));
    };
    expect((await list('failed=true')).map((i) => i.note)).toEqual(['failed']);
    expect((await list('status=open')).map((i) => i.note).sort()).toEqual(['failed', 'just open']);
    const all = await list('failed=false');
    expect(all).toHaveLength(3);
    expect(all[0]?.tenantName).toContain('Org of');
  });
});
