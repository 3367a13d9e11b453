import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import { users } from '../auth/auth.tables.js';
import type { DbOrTx } from '../db/client.js';
import { type AlertStatus, alerts } from './alerts.tables.js';

export type AlertRow = typeof alerts.$inferSelect;
export type NewAlert = Pick<
  typeof alerts.$inferInsert,
  'fingerprint' | 'name' | 'severity' | 'summary' | 'description' | 'labels' | 'startsAt'
>;

/** Alert occurrences as Alertmanager reported them, one row per (fingerprint, startsAt). */
export class AlertsRepository {
  constructor(private readonly db: DbOrTx) {}

  /** Records a firing alert; returns it only when it is new (Alertmanager repeats notifications). */
  async insertFiring(alert: NewAlert): Promise<AlertRow | undefined> {
    const [row] = await this.db
      .insert(alerts)
      .values({ ...alert, status: 'firing' })
      .onConflictDoNothing({ target: [alerts.fingerprint, alerts.startsAt] })
      .returning();
    return row;
  }

  /** Marks a firing occurrence resolved; returns it only on that transition, so it is mailed once. */
  async resolve(fingerprint: string, startsAt: Date, endsAt: Date): Promise<AlertRow | undefined> {
    const [row] = await this.db
      .update(alerts)
      .set({ status: 'resolved', endsAt, updatedAt: new Date() })
      .where(and(eq(alerts.fingerprint, fingerprint), eq(alerts.startsAt, startsAt), eq(alerts.status, 'firing')))
      .returning();
    return row;
  }

  /** A resolution whose firing we never saw (the platform was down): kept for the record, not mailed. */
  async insertResolved(alert: NewAlert, endsAt: Date): Promise<void> {
    await this.db
      .insert(alerts)
      .values({ ...alert, status: 'resolved', endsAt })
      .onConflictDoNothing({ target: [alerts.fingerprint, alerts.startsAt] });
  }

  async markNotified(id: string): Promise<void> {
    await this.db.update(alerts).set({ notifiedAt: new Date() }).where(eq(alerts.id, id));
  }

  /** Firing first is the caller's choice of filter; within a status, newest first. */
  async list(query: { status?: AlertStatus | undefined; limit: number; offset: number }) {
    const where = query.status ? eq(alerts.status, query.status) : undefined;
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(alerts)
        .where(where)
        .orderBy(sql`${alerts.status} = 'firing' desc`, desc(alerts.startsAt), desc(alerts.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ n: count() }).from(alerts).where(where),
    ]);
    return { items, total: total?.n ?? 0 };
  }

  /** Enabled platform admins' addresses: the default alert recipients. */
  async adminEmails(): Promise<string[]> {
    const rows = await this.db
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.platformRole, 'admin'), isNull(users.disabledAt)))
      .orderBy(users.email);
    return rows.map((r) => r.email);
  }
}
