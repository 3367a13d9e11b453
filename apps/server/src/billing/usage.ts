import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { decrypt, secretContext } from '../auth/secrets.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { instanceNames } from '../instances/instance-names.js';
import { instances } from '../instances/instances.tables.js';
import type { TenantDbServer } from '../tenant-db/tenant-db-server.js';
import { tenants } from '../tenants/tenants.tables.js';
import { billingAccounts, usageCounts } from './billing.tables.js';
import type { BillingProvider } from './billing-provider.js';
import { plans } from './plans.tables.js';

/** Counts the active internal Odoo users of every tenant on a per-user plan (scheduled daily). */
export const USAGE_COUNT_JOB = 'billing-count-usage';

export interface UsageDeps {
  config: Config;
  db: Db;
  tenantDb: TenantDbServer;
  billingProvider: BillingProvider | null;
  log: FastifyBaseLogger;
}

/** Instances whose database exists (a workflow is not making or removing it). */
const COUNTED = ['running', 'stopped', 'failed'] as const;
/** `details` key marking an instance whose database could not be read: its last known count (or 0) was used. */
export const UNREAD_PREFIX = 'unread:';

export interface TenantUsage {
  tenantId: string;
  activeUsers: number;
  quantity: number;
  reported: 'provider' | 'manual' | 'unchanged' | 'none';
  details: Record<string, number>;
}

/**
 * Per-user pricing: counts each tenant's active internal users (`res_users` active and not shared, in
 * every instance's database, as the instance's own role), stores the day's count and makes it the
 * subscription's quantity — at the provider for a Stripe subscription (idempotent per tenant and day),
 * on the account itself for the manual provider. One tenant that fails does not stop the others.
 */
export async function countUsage(deps: UsageDeps, now = new Date()): Promise<{ tenants: number; failed: number }> {
  const accounts = await deps.db
    .select({ tenantId: billingAccounts.tenantId })
    .from(billingAccounts)
    .innerJoin(tenants, eq(tenants.id, billingAccounts.tenantId))
    .innerJoin(plans, eq(plans.code, tenants.planCode))
    // An operator's deleted tenants are not counted (their instances are gone; docs/admin.md#tenants).
    .where(and(eq(plans.perUser, true), isNull(tenants.deletedAt)));
  let failed = 0;
  for (const { tenantId } of accounts) {
    try {
      await countTenantUsage(deps, tenantId, now);
    } catch (err) {
      failed++;
      deps.log.error({ tenantId, err: err instanceof Error ? err.message : String(err) }, 'usage count failed');
    }
  }
  return { tenants: accounts.length, failed };
}

export async function countTenantUsage(deps: UsageDeps, tenantId: string, now = new Date()): Promise<TenantUsage> {
  const day = now.toISOString().slice(0, 10);
  const rows = await deps.db
    .select()
    .from(instances)
    .where(and(eq(instances.tenantId, tenantId), inArray(instances.status, [...COUNTED])));
  const [last] = await deps.db
    .select({ details: usageCounts.details })
    .from(usageCounts)
    .where(eq(usageCounts.tenantId, tenantId))
    .orderBy(desc(usageCounts.day))
    .limit(1);
  const details: Record<string, number> = {};
  let activeUsers = 0;
  for (const instance of rows) {
    const { db, role } = instanceNames(deps.config.resourcePrefix, instance.id);
    const password = decrypt(deps.config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id));
    const count = await deps.tenantDb.countOdooUsers(db, { role, password }).catch((err: Error) => {
      deps.log.warn({ tenantId, instanceId: instance.id, err: err.message }, 'could not count Odoo users; using the last known count');
      details[`${UNREAD_PREFIX}${instance.slug}`] = 1;
      return last?.details[instance.slug] ?? 0;
    });
    details[instance.slug] = count;
    activeUsers += count;
  }
  // A subscription cannot have quantity 0: a tenant with no user yet pays for one.
  const quantity = Math.max(1, activeUsers);
  const [account] = await deps.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, tenantId));
  let reported: TenantUsage['reported'] = 'none';
  if (account && account.quantity === quantity) reported = 'unchanged';
  else if (account?.provider === 'stripe' && account.subscriptionId && deps.billingProvider) {
    await deps.billingProvider.setQuantity(account.subscriptionId, quantity, `qty-${tenantId}-${day}`);
    // The provider's subscription.updated event confirms it; the account shows it at once meanwhile.
    await deps.db.update(billingAccounts).set({ quantity, updatedAt: new Date() }).where(eq(billingAccounts.tenantId, tenantId));
    reported = 'provider';
  } else if (account?.provider === 'manual') {
    await deps.db.update(billingAccounts).set({ quantity, updatedAt: new Date() }).where(eq(billingAccounts.tenantId, tenantId));
    reported = 'manual';
  }
  const reportedQuantity = reported === 'none' ? null : quantity;
  await deps.db
    .insert(usageCounts)
    .values({ tenantId, day, activeUsers, reportedQuantity, details, countedAt: now })
    .onConflictDoUpdate({
      target: [usageCounts.tenantId, usageCounts.day],
      set: { activeUsers, reportedQuantity, details, countedAt: now },
    });
  return { tenantId, activeUsers, quantity, reported, details };
}
