import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { billingAccounts } from './billing.tables.js';
import { planPrices, plans } from './plans.tables.js';

export type PlanRow = typeof plans.$inferSelect;
export type PlanPriceRow = typeof planPrices.$inferSelect;
export type PlanValues = Omit<typeof plans.$inferInsert, 'code' | 'createdAt' | 'updatedAt'>;

export class PlansRepository {
  constructor(private readonly db: DbOrTx) {}

  list() {
    return this.db.select().from(plans).orderBy(asc(plans.sortOrder), asc(plans.code));
  }

  find(code: string): Promise<PlanRow | null> {
    return this.db
      .select()
      .from(plans)
      .where(eq(plans.code, code))
      .then((r) => r[0] ?? null);
  }

  async upsert(code: string, values: PlanValues): Promise<PlanRow> {
    const [row] = await this.db
      .insert(plans)
      .values({ code, ...values })
      .onConflictDoUpdate({ target: plans.code, set: { ...values, updatedAt: new Date() } })
      .returning();
    if (!row) throw new Error(`plan ${code} was not written`);
    return row;
  }

  update(code: string, values: Partial<PlanValues>) {
    return this.db
      .update(plans)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(plans.code, code))
      .returning()
      .then((r) => r[0] ?? null);
  }

  /** Every price of the plans, active ones first. */
  prices(planCode?: string): Promise<PlanPriceRow[]> {
    const query = this.db.select().from(planPrices);
    return (planCode ? query.where(eq(planPrices.planCode, planCode)) : query).orderBy(asc(planPrices.planCode), asc(planPrices.createdAt));
  }

  activePrice(planCode: string, interval: 'month' | 'year'): Promise<PlanPriceRow | null> {
    return this.db
      .select()
      .from(planPrices)
      .where(and(eq(planPrices.planCode, planCode), eq(planPrices.interval, interval), eq(planPrices.active, true)))
      .then((r) => r[0] ?? null);
  }

  findPrice(id: string): Promise<PlanPriceRow | null> {
    return this.db
      .select()
      .from(planPrices)
      .where(eq(planPrices.id, id))
      .then((r) => r[0] ?? null);
  }

  /** A new active price; the caller deactivates the previous one of its interval first (one active per interval). */
  async insertPrice(values: { planCode: string; interval: 'month' | 'year'; currency: string; unitAmount: number }): Promise<PlanPriceRow> {
    const [row] = await this.db.insert(planPrices).values(values).returning();
    if (!row) throw new Error(`price of ${values.planCode} was not written`);
    return row;
  }

  deactivatePrice(id: string) {
    return this.db.update(planPrices).set({ active: false }).where(eq(planPrices.id, id));
  }

  setProviderPriceId(id: string, providerPriceId: string) {
    return this.db.update(planPrices).set({ providerPriceId }).where(eq(planPrices.id, id));
  }

  /**
   * A manual account pays the price of its plan; a Stripe account's price is whatever Stripe reports, so
   * only manual accounts follow an admin's plan change.
   */
  setManualAccountPrice(tenantId: string, priceId: string | null) {
    return this.db
      .update(billingAccounts)
      .set({ priceId, updatedAt: new Date() })
      .where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccounts.provider, 'manual')));
  }

  priceByProviderId(providerPriceId: string): Promise<PlanPriceRow | null> {
    return this.db
      .select()
      .from(planPrices)
      .where(eq(planPrices.providerPriceId, providerPriceId))
      .then((r) => r[0] ?? null);
  }
}
