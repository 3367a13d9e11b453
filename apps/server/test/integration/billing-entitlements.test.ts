import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingAccounts, type SubscriptionStatus, usageCounts } from '../../src/billing/billing.tables.js';
import { plans } from '../../src/billing/plans.tables.js';
import { createBillingProvider } from '../../src/billing/stripe/stripe-provider.js';
import { countTenantUsage, UNREAD_PREFIX } from '../../src/billing/usage.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { instances } from '../../src/instances/instances.tables.js';
import { tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow, uniqueSlug } from '../support/instances.js';
import { startStripeFake } from '../support/stripe-fake.js';
import { testConfig } from '../test-env.js';

/**
 * What a plan and a subscription allow through the API (no worker: refusals happen before any job), and the
 * per-user count read from instance databases on the real tenant PostgreSQL server.
 */

let h: Harness;
let owner: TestUser;
const planCode = `test-${randomUUID().slice(0, 8)}`;
const made: { db: string; role: string }[] = [];
const WEBHOOK_SECRET = 'whsec_usagesecret0123456789';

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  owner = await createUser(h, { label: 'entitlements', verify: 'direct' });
  await h.platform.db.insert(plans).values({
    code: planCode,
    name: 'Per user, 17 only',
    visibility: 'hidden',
    perUser: true,
    maxInstances: 5,
    memoryMb: 512,
    cpuMillis: 500,
    pids: 256,
    storageGb: 1,
    workers: 0,
    customDomains: false,
    odooVersions: ['17.0'],
  });
  await h.platform.db.update(tenants).set({ planCode }).where(eq(tenants.id, owner.tenantId));
}, 60_000);

afterAll(async () => {
  if (h) {
    for (const { db, role } of made) {
      await h.platform.tenantDb.dropDatabase(db).catch(() => undefined);
      await h.platform.tenantDb.dropRole(role).catch(() => undefined);
    }
    if (owner) {
      await h.platform.db.delete(instances).where(eq(instances.tenantId, owner.tenantId));
      await h.platform.db.update(tenants).set({ planCode: 'starter' }).where(eq(tenants.id, owner.tenantId));
    }
    await h.platform.db.delete(plans).where(eq(plans.code, planCode));
  }
  await h?.close();
});

const setSubscription = (status: SubscriptionStatus, access: 'full' | 'suspended' = 'full') =>
  h.platform.db
    .update(billingAccounts)
    .set({ status, statusSince: new Date(), access })
    .where(eq(billingAccounts.tenantId, owner.tenantId));

const create = (version: string) =>
  call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
    client: owner,
    body: { name: 'Shop', slug: uniqueSlug('ent'), version },
  });

describe('plan and subscription refusals', () => {
  it('refuses a version the plan does not include, with a field error', async () => {
    await setSubscription('active');
    const res = await create('18.0');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'version', code: 'version_not_in_plan' })]);
  });

  it.each<[SubscriptionStatus, 'full' | 'suspended', string]>([
    ['none', 'full', 'subscription_required'],
    ['incomplete', 'full', 'subscription_required'],
    ['paused', 'full', 'subscription_required'],
    ['canceled', 'suspended', 'tenant_suspended'],
    ['unpaid', 'full', 'tenant_suspended'],
  ])('refuses a new instance while the subscription is %s (access %s): 402 %s', async (status, access, code) => {
    await setSubscription(status, access);
    const res = await create('17.0');
    expect(res.statusCode, res.body).toBe(402);
    expect(res.json().code).toBe(code);
  });

  it('refuses a custom domain when the plan has none: 402 plan_feature_missing', async () => {
    await setSubscription('active');
    const row = await insertInstanceRow(h, owner.tenantId, 'running');
    const res = await call(h.app, 'POST', `/api/v1/instances/${row.id}/domains`, { client: owner, body: { domain: 'shop.example.com' } });
    expect(res.statusCode, res.body).toBe(402);
    expect(res.json().code).toBe('plan_feature_missing');
    await h.platform.db.delete(instances).where(eq(instances.id, row.id));
  });
});

describe('per-user usage count', () => {
  /** An instance row with a database as the stand-in leaves it: Odoo's res_users, owned by the instance's role. */
  async function instanceWithUsers(users: { active: boolean; share: boolean }[]) {
    const row = await insertInstanceRow(h, owner.tenantId, 'stopped');
    const names = instanceNames(h.platform.config.resourcePrefix, row.id);
    made.push(names);
    await h.platform.tenantDb.ensureRole(names.role, 'x'); // insertInstanceRow seals 'x' as the password
    await h.platform.tenantDb.ensureDatabase(names.db, names.role);
    const url = new URL(h.platform.config.tenantDbAdminUrl);
    url.username = names.role;
    url.password = 'x';
    url.pathname = `/${names.db}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query('create table res_users (id serial primary key, login text, active boolean, share boolean)');
      for (const [i, u] of users.entries()) {
        await client.query('insert into res_users (login, active, share) values ($1, $2, $3)', [`u${i}`, u.active, u.share]);
      }
    } finally {
      await client.end();
    }
    return row;
  }

  it('counts active internal users across the tenant’s instances and sets a manual account’s quantity', async () => {
    await setSubscription('active');
    const internal = { active: true, share: false };
    const a = await instanceWithUsers([internal, internal, { active: false, share: false }, { active: true, share: true }]);
    const b = await instanceWithUsers([internal]);
    // No database at all (a stand-in for one that cannot be read): its last known count, 0 here, and said so.
    const c = await insertInstanceRow(h, owner.tenantId, 'stopped');
    const deps = { ...h.platform, billingProvider: null };
    const day = new Date('2026-05-04T10:00:00Z');

    const usage = await countTenantUsage(deps, owner.tenantId, day);
    expect(usage).toMatchObject({ activeUsers: 3, quantity: 3, reported: 'manual' });
    expect(usage.details).toEqual({ [a.slug]: 2, [b.slug]: 1, [c.slug]: 0, [`${UNREAD_PREFIX}${c.slug}`]: 1 });
    const [account] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId));
    expect(account?.quantity).toBe(3);
    const [stored] = await h.platform.db.select().from(usageCounts).where(eq(usageCounts.tenantId, owner.tenantId));
    expect(stored).toMatchObject({ day: '2026-05-04', activeUsers: 3, reportedQuantity: 3 });

    // The same day again: one row, updated; an unchanged quantity is not reported again.
    const again = await countTenantUsage(deps, owner.tenantId, day);
    expect(again.reported).toBe('unchanged');
    expect(await h.platform.db.select().from(usageCounts).where(eq(usageCounts.tenantId, owner.tenantId))).toHaveLength(1);
  });

  it('reports the count as a Stripe subscription’s quantity, once per tenant and day', async () => {
    const fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
    try {
      const provider = createBillingProvider(
        testConfig({ STRIPE_SECRET_KEY: 'sk_test_fake123', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: fake.url }),
      );
      if (!provider) throw new Error('Stripe is configured: a provider was expected');
      // A subscription at the fake, made the way a tenant gets one: plan synced, checkout completed.
      const [plan] = await h.platform.db.select().from(plans).where(eq(plans.code, planCode));
      if (!plan) throw new Error('test plan missing');
      const price = {
        id: randomUUID(),
        planCode,
        interval: 'month' as const,
        currency: 'eur',
        unitAmount: 500,
        active: true,
        providerPriceId: null,
        createdAt: new Date(),
      };
      const synced = await provider.syncPlan(plan, [price]);
      const checkout = await provider.createCheckout({
        tenantId: owner.tenantId,
        tenantName: 'Usage',
        customerId: null,
        email: owner.email,
        plan,
        price: { ...price, providerPriceId: synced.priceIds[price.id] ?? '' },
        quantity: 1,
        trialDays: 0,
        successUrl: 'http://127.0.0.1:1/ok',
        cancelUrl: 'http://127.0.0.1:1/no',
        idempotencyKey: `checkout-${randomUUID()}`,
      });
      const session = fake.state.sessions.get(checkout.sessionId);
      if (!session) throw new Error('no checkout session at the fake');
      const { subscription } = fake.state.completeCheckout(session);
      await h.platform.db
        .update(billingAccounts)
        .set({ provider: 'stripe', customerId: checkout.customerId, subscriptionId: subscription.id, quantity: 1 })
        .where(eq(billingAccounts.tenantId, owner.tenantId));

      const day = new Date('2026-05-05T10:00:00Z');
      const usage = await countTenantUsage({ ...h.platform, billingProvider: provider }, owner.tenantId, day);
      expect(usage).toMatchObject({ activeUsers: 3, quantity: 3, reported: 'provider' });
      expect(fake.state.subscriptions.get(subscription.id)?.items.data[0]?.quantity).toBe(3);
      const updates = fake.requests.filter((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${subscription.id}`);
      expect(updates.map((r) => r.idempotencyKey)).toEqual([`qty-${owner.tenantId}-2026-05-05`]);
    } finally {
      await h.platform.db
        .update(billingAccounts)
        .set({ provider: 'manual', customerId: null, subscriptionId: null })
        .where(eq(billingAccounts.tenantId, owner.tenantId));
      await fake.close();
    }
  });
});
