import { and, asc, count, desc, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import { plans } from '../billing/plans.tables.js';
import { type DbOrTx, prepared } from '../db/client.js';
import { tenants } from '../tenants/tenants.tables.js';
import { type InstanceProgress, instanceEvents, instances, odooTemplates, odooVersions, reconcileRuns } from './instances.tables.js';

export type InstanceRow = typeof instances.$inferSelect;
export type InstanceStatus = InstanceRow['status'];

export class InstancesRepository {
  constructor(private readonly db: DbOrTx) {}

  findById(id: string) {
    return this.db.query.instances.findFirst({ where: eq(instances.id, id) });
  }

  /** The tenant that owns a (not deleted) instance; used by the access check. */
  tenantOf(id: string): Promise<string | null> {
    return this.db
      .select({ tenantId: instances.tenantId })
      .from(instances)
      .where(and(eq(instances.id, id), ne(instances.status, 'deleted')))
      .then((rows) => rows[0]?.tenantId ?? null);
  }

  /** A prepared statement: the instance list is what the tenant app asks for most. */
  listForTenant(tenantId: string) {
    return prepared(this.db, 'instances_of_tenant', (db, name) =>
      db
        .select()
        .from(instances)
        .where(and(eq(instances.tenantId, sql.placeholder('tenantId')), ne(instances.status, 'deleted')))
        .orderBy(asc(instances.createdAt))
        .prepare(name),
    ).execute({ tenantId });
  }

  /** Instances whose engine state the reconciler converges (everything not gone or being created/deleted by a workflow). */
  listSettled() {
    return this.db
      .select()
      .from(instances)
      .where(notInArray(instances.status, ['deleted', 'pending', 'provisioning', 'deleting']));
  }

  listUnfinished() {
    return this.db
      .select()
      .from(instances)
      .where(inArray(instances.status, ['pending', 'provisioning', 'deleting']));
  }

  listLive() {
    return this.db.select().from(instances).where(ne(instances.status, 'deleted'));
  }

  /** Of these ids, the instances that are deleted (ids with no row are not among them). */
  deletedAmong(ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .select({ id: instances.id })
      .from(instances)
      .where(and(inArray(instances.id, ids), eq(instances.status, 'deleted')))
      .then((rows) => rows.map((r) => r.id));
  }

  countLive(tenantId: string) {
    return this.db
      .select({ n: count() })
      .from(instances)
      .where(and(eq(instances.tenantId, tenantId), ne(instances.status, 'deleted')))
      .then((r) => r[0]?.n ?? 0);
  }

  slugTaken(slug: string) {
    return this.db
      .select({ id: instances.id })
      .from(instances)
      .where(and(eq(instances.slug, slug), ne(instances.status, 'deleted')))
      .then((r) => r.length > 0);
  }

  /** The lowest free slot from 1 (slot 0 is the builders' network). */
  freeSlot(capacity: number): Promise<number | null> {
    return this.db
      .execute<{ slot: number }>(
        sql`select s as slot from generate_series(1, ${capacity - 1}) s
            where not exists (select 1 from ${instances} i where i.slot = s and i.status <> 'deleted')
            order by s limit 1`,
      )
      .then((res) => res.rows[0]?.slot ?? null);
  }

  async insert(values: typeof instances.$inferInsert) {
    const [row] = await this.db.insert(instances).values(values).returning();
    if (!row) throw new Error('instance insert returned nothing');
    return row;
  }

  async update(id: string, values: Partial<typeof instances.$inferInsert>) {
    const [row] = await this.db
      .update(instances)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(instances.id, id))
      .returning();
    return row ?? null;
  }

  /**
   * Moves an instance to a new status if it is in one of `from`, recording the event.
   * Returns null when it was not in an allowed status (someone else moved it first).
   */
  async transition(
    id: string,
    from: InstanceStatus[],
    to: InstanceStatus,
    event: { actorId: string | null; reason: string },
    extra: Partial<typeof instances.$inferInsert> = {},
  ): Promise<InstanceRow | null> {
    return this.db.transaction(async (tx) => {
      const [current] = await tx.select({ status: instances.status }).from(instances).where(eq(instances.id, id)).for('update');
      if (!current || !from.includes(current.status)) return null;
      const [row] = await tx
        .update(instances)
        .set({ ...extra, status: to, updatedAt: new Date() })
        .where(eq(instances.id, id))
        .returning();
      await tx.insert(instanceEvents).values({ instanceId: id, fromStatus: current.status, toStatus: to, ...event });
      return row ?? null;
    });
  }

  setProgress(id: string, progress: InstanceProgress | null) {
    return this.db.update(instances).set({ progress, updatedAt: new Date() }).where(eq(instances.id, id));
  }

  events(id: string) {
    return this.db.select().from(instanceEvents).where(eq(instanceEvents.instanceId, id)).orderBy(asc(instanceEvents.at));
  }

  /** The live instances of a tenant, or of every tenant on a plan, each with its tenant's plan. */
  liveWithPlan(scope: { tenantId: string } | { planCode: string }) {
    const tenantFilter = 'tenantId' in scope ? eq(tenants.id, scope.tenantId) : eq(tenants.planCode, scope.planCode);
    return this.db
      .select({ id: instances.id, plan: plans })
      .from(instances)
      .innerJoin(tenants, eq(tenants.id, instances.tenantId))
      .innerJoin(plans, eq(plans.code, tenants.planCode))
      .where(and(tenantFilter, ne(instances.status, 'deleted')));
  }

  planOf(tenantId: string) {
    return this.db
      .select({ plan: plans })
      .from(tenants)
      .innerJoin(plans, eq(plans.code, tenants.planCode))
      .where(eq(tenants.id, tenantId))
      .then((r) => r[0]?.plan ?? null);
  }
}

/** What the reconciler found and did, one row a pass. */
export class ReconcileRunsRepository {
  constructor(private readonly db: DbOrTx) {}

  list(query: { limit: number; offset: number }) {
    return this.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(query.limit).offset(query.offset);
  }
}

export class OdooVersionsRepository {
  constructor(private readonly db: DbOrTx) {}

  list() {
    return this.db.select().from(odooVersions).orderBy(desc(odooVersions.version));
  }

  find(version: string) {
    return this.db.query.odooVersions.findFirst({ where: eq(odooVersions.version, version) });
  }

  findDefault() {
    return this.db.query.odooVersions.findFirst({ where: and(eq(odooVersions.isDefault, true), eq(odooVersions.enabled, true)) });
  }

  /** Adds configured versions that are missing; admins' later changes are kept. */
  async seed(entries: { version: string; image: string }[]) {
    for (const [index, entry] of entries.entries()) {
      await this.db
        .insert(odooVersions)
        .values({ ...entry, enabled: true, isDefault: index === 0 })
        .onConflictDoNothing();
    }
    const def = await this.findDefault();
    if (!def && entries[0]) await this.db.update(odooVersions).set({ isDefault: true }).where(eq(odooVersions.version, entries[0].version));
  }

  /** Adds or changes a version; making it the default takes that from the others. */
  async upsert(version: string, values: { image: string; enabled: boolean; isDefault?: boolean | undefined }) {
    return this.db.transaction(async (tx) => {
      if (values.isDefault) await tx.update(odooVersions).set({ isDefault: false }).where(ne(odooVersions.version, version));
      const [row] = await tx
        .insert(odooVersions)
        .values({ version, ...values, isDefault: values.isDefault ?? false })
        .onConflictDoUpdate({ target: odooVersions.version, set: values })
        .returning();
      if (!row) throw new Error('version upsert returned nothing');
      return row;
    });
  }

  template(version: string) {
    return this.db.query.odooTemplates.findFirst({ where: eq(odooTemplates.version, version) });
  }

  async setTemplate(
    version: string,
    values: { image: string; status: 'building' | 'ready' | 'failed'; error?: string | null; builtAt?: Date | null },
  ) {
    await this.db
      .insert(odooTemplates)
      .values({ version, ...values, updatedAt: new Date() })
      .onConflictDoUpdate({ target: odooTemplates.version, set: { ...values, updatedAt: new Date() } });
  }
}
