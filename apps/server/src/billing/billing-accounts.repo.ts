import { and, eq } from 'drizzle-orm';
import type { Config } from '../config/config.js';
import type { DbOrTx } from '../db/client.js';
import { tenants } from '../tenants/tenants.tables.js';
import { type BillingProviderKind, billingAccounts, type SubscriptionStatus, subscriptionChanges } from './billing.tables.js';
import { planPrices, plans } from './plans.tables.js';

export type BillingAccountRow = typeof billingAccounts.$inferSelect;
export type BillingAccountValues = Partial<Omit<typeof billingAccounts.$inferInsert, 'tenantId' | 'createdAt'>>;

/** How a new tenant is billed: the configured provider, on the default plan. */
export interface NewTenantBilling {
  provider: BillingProviderKind;
  planCode: string;
}

export const newTenantBilling = (config: Config): NewTenantBilling => ({
  provider: config.billing.stripe ? 'stripe' : 'manual',
  planCode: config.billing.defaultPlan,
});

export class BillingAccountsRepository {
  constructor(private readonly db: DbOrTx) {}

  find(tenantId: string): Promise<BillingAccountRow | null> {
    return this.db
      .select()
      .from(billingAccounts)
      .where(eq(billingAccounts.tenantId, tenantId))
      .then((r) => r[0] ?? null);
  }

  /** The account, locked until the transaction ends: changes of one tenant apply one after the other. */
  findForUpdate(tenantId: string): Promise<BillingAccountRow | null> {
    return this.db
      .select()
      .from(billingAccounts)
      .where(eq(billingAccounts.tenantId, tenantId))
      .for('update')
      .then((r) => r[0] ?? null);
  }

  findByCustomer(customerId: string): Promise<BillingAccountRow | null> {
    return this.db
      .select()
      .from(billingAccounts)
      .where(eq(billingAccounts.customerId, customerId))
      .then((r) => r[0] ?? null);
  }

  async update(tenantId: string, values: BillingAccountValues): Promise<BillingAccountRow> {
    const [row] = await this.db
      .update(billingAccounts)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(billingAccounts.tenantId, tenantId))
      .returning();
    if (!row) throw new Error(`billing account of tenant ${tenantId} not found`);
    return row;
  }

  /**
   * The account of a new tenant (same transaction as the tenant). A free plan is active at once; a paid
   * plan with trial days starts its trial with the manual provider, and waits for checkout with Stripe.
   */
  async createInitial(tenantId: string, billing: NewTenantBilling, now = new Date()): Promise<BillingAccountRow> {
    const [plan] = await this.db.select().from(plans).where(eq(plans.code, billing.planCode));
    if (!plan) throw new Error(`default plan ${billing.planCode} does not exist`);
    const prices = await this.db
      .select()
      .from(planPrices)
      .where(and(eq(planPrices.planCode, plan.code), eq(planPrices.active, true)));
    const monthly = prices.find((p) => p.interval === 'month') ?? prices[0] ?? null;
    let status: SubscriptionStatus = 'none';
    let trialEndsAt: Date | null = null;
    if (!monthly) status = 'active';
    else if (plan.trialDays > 0 && billing.provider === 'manual') {
      status = 'trialing';
      trialEndsAt = new Date(now.getTime() + plan.trialDays * 86_400_000);
    }
    const [row] = await this.db
      .insert(billingAccounts)
      .values({
        tenantId,
        provider: billing.provider,
        status,
        priceId: status === 'trialing' ? (monthly?.id ?? null) : null,
        trialEndsAt,
        statusSince: now,
      })
      .returning();
    if (!row) throw new Error('billing account insert returned nothing');
    await recordSubscriptionChange(this.db, tenantId, { at: now });
    return row;
  }
}

/** Recurring revenue per month of a price × quantity (a yearly price counts a twelfth). */
export const monthlyAmount = (price: { interval: 'month' | 'year'; unitAmount: number }, quantity: number) =>
  Math.round(price.interval === 'year' ? price.unitAmount / 12 : price.unitAmount) * quantity;

/** Statuses that bring revenue: the others count 0 in MRR. */
const PAYING: SubscriptionStatus[] = ['active', 'past_due'];

/**
 * Appends the tenant's current subscription (status, plan, monthly amount) to `subscription_changes`,
 * which MRR/ARR and churn are computed from. Call it in the transaction that changed status, plan,
 * price or quantity.
 */
export async function recordSubscriptionChange(db: DbOrTx, tenantId: string, options: { at?: Date; currency?: string } = {}) {
  const [row] = await db
    .select({ account: billingAccounts, planCode: tenants.planCode, price: planPrices })
    .from(billingAccounts)
    .innerJoin(tenants, eq(tenants.id, billingAccounts.tenantId))
    .leftJoin(planPrices, eq(planPrices.id, billingAccounts.priceId))
    .where(eq(billingAccounts.tenantId, tenantId));
  if (!row) return;
  const { account, price } = row;
  const amount = price && PAYING.includes(account.status) ? monthlyAmount(price, account.quantity) : 0;
  await db.insert(subscriptionChanges).values({
    tenantId,
    status: account.status,
    planCode: row.planCode,
    monthlyAmount: amount,
    currency: price?.currency ?? options.currency ?? 'eur',
    at: options.at ?? new Date(),
  });
}
