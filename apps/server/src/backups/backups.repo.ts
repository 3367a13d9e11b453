import { and, asc, count, desc, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { instances } from '../instances/instances.tables.js';
import { type BackupKindValue, backups, type JobProgress, restores } from './backups.tables.js';

export type BackupRow = typeof backups.$inferSelect;
export type RestoreRow = typeof restores.$inferSelect;

/** Where a backup's archive lives in backup storage: per tenant and instance, so an operator can find it by hand. */
export const storageKeyOf = (b: Pick<BackupRow, 'tenantId' | 'instanceId' | 'id'>) => `${b.tenantId}/${b.instanceId}/${b.id}.zip`;

export class BackupsRepository {
  constructor(private readonly db: DbOrTx) {}

  async create(input: {
    tenantId: string;
    instanceId: string;
    kind: BackupKindValue;
    odooVersion: string;
    requestedBy: string | null;
    keepUntil?: Date | null;
  }): Promise<BackupRow> {
    const [row] = await this.db
      .insert(backups)
      .values({ ...input, status: input.kind === 'upload' ? 'running' : 'queued' })
      .returning();
    if (!row) throw new Error('backup not created');
    return (await this.update(row.id, { storageKey: storageKeyOf(row) })) ?? row;
  }

  find(id: string) {
    return this.db.query.backups.findFirst({ where: eq(backups.id, id) });
  }

  async update(id: string, values: Partial<typeof backups.$inferInsert>) {
    const [row] = await this.db.update(backups).set(values).where(eq(backups.id, id)).returning();
    return row;
  }

  /** Takes a queued (or, after a crash, running) backup for one more attempt; undefined when it already ended. */
  async claim(id: string) {
    const [row] = await this.db
      .update(backups)
      .set({
        status: 'running',
        attempts: sql`${backups.attempts} + 1`,
        startedAt: sql`coalesce(${backups.startedAt}, now())`,
        error: null,
      })
      .where(and(eq(backups.id, id), inArray(backups.status, ['queued', 'running'])))
      .returning();
    return row;
  }

  setProgress(id: string, progress: JobProgress) {
    return this.db
      .update(backups)
      .set({ progress })
      .where(and(eq(backups.id, id), eq(backups.status, 'running')));
  }

  /** Only a running backup completes: one deleted or failed meanwhile stays so. */
  async complete(id: string, values: Partial<typeof backups.$inferInsert>) {
    const [row] = await this.db
      .update(backups)
      .set({ ...values, status: 'completed', completedAt: new Date(), progress: null, error: null })
      .where(and(eq(backups.id, id), eq(backups.status, 'running')))
      .returning();
    return row;
  }

  async fail(id: string, error: string) {
    const [row] = await this.db
      .update(backups)
      .set({ status: 'failed', error, progress: null, completedAt: new Date() })
      .where(and(eq(backups.id, id), inArray(backups.status, ['queued', 'running'])))
      .returning();
    return row;
  }

  listForInstance(instanceId: string) {
    return this.db
      .select()
      .from(backups)
      .where(and(eq(backups.instanceId, instanceId), ne(backups.status, 'deleted')))
      .orderBy(desc(backups.createdAt));
  }

  /** The tenant's backups, those of deleted instances (their final backups) included, with the instance's name. */
  listForTenant(tenantId: string) {
    return this.db
      .select({ backup: backups, instanceName: instances.name, instanceSlug: instances.slug, instanceStatus: instances.status })
      .from(backups)
      .innerJoin(instances, eq(instances.id, backups.instanceId))
      .where(and(eq(backups.tenantId, tenantId), ne(backups.status, 'deleted')))
      .orderBy(desc(backups.createdAt));
  }

  listAll(query: { limit: number; offset: number; tenantId?: string | undefined; status?: BackupRow['status'] | undefined }) {
    const where = and(
      query.tenantId ? eq(backups.tenantId, query.tenantId) : undefined,
      query.status ? eq(backups.status, query.status) : ne(backups.status, 'deleted'),
    );
    return Promise.all([
      this.db
        .select({ backup: backups, instanceName: instances.name, instanceSlug: instances.slug, instanceStatus: instances.status })
        .from(backups)
        .innerJoin(instances, eq(instances.id, backups.instanceId))
        .where(where)
        .orderBy(desc(backups.createdAt))
        .limit(query.limit)
        .offset(query.offset),
      this.db
        .select({ n: count() })
        .from(backups)
        .where(where)
        .then((r) => r[0]?.n ?? 0),
    ]);
  }

  /** Manual backups (and uploads) the instance got since `since`: the plan's per-day allowance counts them. */
  async countManualSince(instanceId: string, since: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(backups)
      .where(
        and(
          eq(backups.instanceId, instanceId),
          inArray(backups.kind, ['manual', 'upload']),
          ne(backups.status, 'failed'),
          gte(backups.createdAt, since),
        ),
      );
    return row?.n ?? 0;
  }

  /** The instance's scheduled backup of a slot, if one was made (or is being made) since the slot's start. */
  scheduledSince(instanceId: string, since: Date) {
    return this.db.query.backups.findFirst({
      where: and(eq(backups.instanceId, instanceId), eq(backups.kind, 'scheduled'), gte(backups.createdAt, since)),
    });
  }

  /** Unfinished backups older than `before`: their job may be lost (Redis flushed), so they are queued again. */
  listUnfinished(before: Date, tenantIds?: string[]) {
    return this.db
      .select()
      .from(backups)
      .where(
        and(
          inArray(backups.status, ['queued', 'running']),
          ne(backups.kind, 'upload'),
          lt(backups.createdAt, before),
          tenantIds ? inArray(backups.tenantId, tenantIds) : undefined,
        ),
      )
      .orderBy(asc(backups.createdAt))
      .limit(100);
  }

  /** Uploads still `running` since before `before`: the API process that stored them died between row and object. */
  staleUploads(before: Date, tenantIds?: string[]) {
    return this.db
      .select()
      .from(backups)
      .where(
        and(
          eq(backups.status, 'running'),
          eq(backups.kind, 'upload'),
          lt(backups.createdAt, before),
          tenantIds ? inArray(backups.tenantId, tenantIds) : undefined,
        ),
      )
      .limit(100);
  }

  /** Completed backups of one instance, for retention. */
  listCompleted(instanceId: string) {
    return this.db
      .select()
      .from(backups)
      .where(and(eq(backups.instanceId, instanceId), eq(backups.status, 'completed')))
      .orderBy(asc(backups.createdAt));
  }

  /**
   * The instance's newest completed backup of its own making (uploads excluded: their content came from elsewhere)
   * for its Odoo version, by completion time: what a failover brings it back from.
   */
  async latestCompleted(instanceId: string, odooVersion: string): Promise<BackupRow | null> {
    const [row] = await this.db
      .select()
      .from(backups)
      .where(
        and(
          eq(backups.instanceId, instanceId),
          eq(backups.status, 'completed'),
          ne(backups.kind, 'upload'),
          eq(backups.odooVersion, odooVersion),
        ),
      )
      .orderBy(desc(backups.completedAt))
      .limit(1);
    return row ?? null;
  }

  /** Instances that have completed backups (live or deleted), for the retention sweep. */
  async instancesWithBackups(tenantIds?: string[]): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ id: backups.instanceId })
      .from(backups)
      .where(and(eq(backups.status, 'completed'), tenantIds ? inArray(backups.tenantId, tenantIds) : undefined));
    return rows.map((r) => r.id);
  }

  /** Deleted (by its owner, an admin or retention): kept as history, its object gone. */
  markDeleted(id: string) {
    return this.db
      .update(backups)
      .set({ status: 'deleted', deletedAt: new Date(), progress: null })
      .where(eq(backups.id, id))
      .returning()
      .then((rows) => rows[0]);
  }

  // Restores.

  async createRestore(input: { tenantId: string; instanceId: string; backupId: string; requestedBy: string | null }) {
    const [row] = await this.db.insert(restores).values(input).returning();
    if (!row) throw new Error('restore not created');
    return row;
  }

  findRestore(id: string) {
    return this.db.query.restores.findFirst({ where: eq(restores.id, id) });
  }

  /** The instance's restore that has not finished, if any. */
  liveRestore(instanceId: string) {
    return this.db.query.restores.findFirst({
      where: and(eq(restores.instanceId, instanceId), inArray(restores.status, ['queued', 'running'])),
    });
  }

  listRestores(instanceId: string, limit = 20) {
    return this.db.select().from(restores).where(eq(restores.instanceId, instanceId)).orderBy(desc(restores.createdAt)).limit(limit);
  }

  async updateRestore(id: string, values: Partial<typeof restores.$inferInsert>) {
    const [row] = await this.db.update(restores).set(values).where(eq(restores.id, id)).returning();
    return row;
  }

  /** Backups a restore still needs (its source, its safety backup) are not removed by retention. */
  async pinnedByRestores(): Promise<Set<string>> {
    const rows = await this.db
      .select({ backupId: restores.backupId, safetyBackupId: restores.safetyBackupId })
      .from(restores)
      .where(inArray(restores.status, ['queued', 'running']));
    return new Set(rows.flatMap((r) => [r.backupId, r.safetyBackupId].filter((id): id is string => Boolean(id))));
  }
}
