import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { PlanLimits } from './plans.schemas.js';
import { plans } from './plans.tables.js';

export type PlanRow = typeof plans.$inferSelect;

export class PlansRepository {
  constructor(private readonly db: DbOrTx) {}

  list() {
    return this.db.select().from(plans).orderBy(plans.code);
  }

  find(code: string): Promise<PlanRow | null> {
    return this.db
      .select()
      .from(plans)
      .where(eq(plans.code, code))
      .then((r) => r[0] ?? null);
  }

  async upsert(code: string, values: PlanLimits): Promise<PlanRow> {
    const [row] = await this.db
      .insert(plans)
      .values({ code, ...values })
      .onConflictDoUpdate({ target: plans.code, set: values })
      .returning();
    if (!row) throw new Error(`plan ${code} was not written`);
    return row;
  }
}
