import { and, desc, eq, gte, inArray, max } from 'drizzle-orm';
import { plans } from '../billing/plans.tables.js';
import type { Db } from '../db/client.js';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { withBackupLock } from '../instances/instance-locks.js';
import { instanceNames } from '../instances/instance-names.js';
import { type InstanceRow, InstancesRepository } from '../instances/instances.repo.js';
import { instanceEvents, instances } from '../instances/instances.tables.js';
import type { Queues } from '../jobs/queues.js';
import { tenants } from '../tenants/tenants.tables.js';
import { enqueueBackup, enqueueRestore } from './backup-jobs.js';
import type { BackupRunner } from './backup-runner.js';
import { isDue } from './backup-schedule.js';
import { BackupsRepository } from './backups.repo.js';
import { backups, restores } from './backups.tables.js';
import { type RetainedBackup, selectRetained } from './retention.js';

export interface BackupMaintenanceDeps extends InstanceOpsDeps {
  queues: Queues;
}

/** Which tenants a run looks at: all (the scheduled jobs), or some (tests sharing one database). */
export interface MaintenanceScope {
  tenantIds?: string[];
}

/** How long an unfinished backup or restore may go without progress before its job is assumed lost and queued again. */
const LOST_AFTER_MS = 10 * 60_000;
/** An upload's row exists only while the API stores the validated archive (minutes): far beyond that, it was cut off. */
const UPLOAD_STALE_MS = 2 * 3600_000;

/**
 * Queues the scheduled backups that are due (see backup-schedule.ts), and again the jobs of backups and
 * restores that have not finished for a while (their job may have been lost with Redis; a job id per
 * backup means a job still known is never doubled). Suspended tenants' instances are not backed up: they
 * are stopped, so nothing changes in them.
 */
export async function scheduleBackups(deps: BackupMaintenanceDeps, now = new Date(), scope: MaintenanceScope = {}) {
  const { tenantIds } = scope;
  const { db } = deps.database;
  const lastScheduled = db
    .select({ instanceId: backups.instanceId, at: max(backups.createdAt).as('at') })
    .from(backups)
    .where(eq(backups.kind, 'scheduled'))
    .groupBy(backups.instanceId)
    .as('last_scheduled');
  const candidates = await db
    .select({ instance: instances, lastScheduledAt: lastScheduled.at })
    .from(instances)
    .leftJoin(lastScheduled, eq(lastScheduled.instanceId, instances.id))
    .where(
      and(
        inArray(instances.status, ['running', 'stopped']),
        eq(instances.suspended, false),
        tenantIds ? inArray(instances.tenantId, tenantIds) : undefined,
      ),
    );
  const repo = new BackupsRepository(db);
  let queued = 0;
  for (const { instance, lastScheduledAt } of candidates) {
    const due = isDue(
      { instanceId: instance.id, hour: instance.backupHour, createdAt: instance.readyAt ?? instance.createdAt, lastScheduledAt },
      now,
    );
    if (!due) continue;
    const backup = await repo.create({
      tenantId: instance.tenantId,
      instanceId: instance.id,
      kind: 'scheduled',
      odooVersion: instance.version,
      requestedBy: null,
    });
    await enqueueBackup(deps.queues, backup.id);
    queued++;
  }
  const before = new Date(now.getTime() - LOST_AFTER_MS);
  const lost = await repo.listUnfinished(before, tenantIds);
  for (const backup of lost) await enqueueBackup(deps.queues, backup.id);
  const liveRestores = await db
    .select()
    .from(restores)
    .where(and(inArray(restores.status, ['queued', 'running']), tenantIds ? inArray(restores.tenantId, tenantIds) : undefined));
  for (const restore of liveRestores) if (restore.createdAt < before) await enqueueRestore(deps.queues, restore.id);
  // An upload is stored by the API within its request: one still unfinished long after was cut off by a crash.
  const stale = await repo.staleUploads(new Date(now.getTime() - UPLOAD_STALE_MS), tenantIds);
  for (const upload of stale) {
    if (upload.storageKey) await deps.backupStorage.delete(upload.storageKey).catch(() => undefined);
    await repo.fail(upload.id, 'The upload was interrupted before it was stored; upload the archive again.');
  }
  return { queued, requeued: lost.length, abandonedUploads: stale.length };
}

/**
 * Applies each instance's retention (its tenant's plan, grandfather-father-son; retention.ts): archives
 * outside the kept set are removed from storage, then marked deleted. Final backups are kept until their
 * `keepUntil`; backups a live restore uses are never removed. One failure does not stop the others.
 */
export async function applyRetention(deps: BackupMaintenanceDeps, now = new Date(), scope: MaintenanceScope = {}) {
  const { db } = deps.database;
  const repo = new BackupsRepository(db);
  const pinned = await repo.pinnedByRestores();
  let removed = 0;
  const errors: string[] = [];
  for (const instanceId of await repo.instancesWithBackups(scope.tenantIds)) {
    const [row] = await db
      .select({ retention: plans.backupRetention })
      .from(instances)
      .innerJoin(tenants, eq(tenants.id, instances.tenantId))
      .innerJoin(plans, eq(plans.code, tenants.planCode))
      .where(eq(instances.id, instanceId));
    const completed = await repo.listCompleted(instanceId);
    const finals = completed.filter((b) => b.kind === 'final');
    const others: RetainedBackup[] = completed
      .filter((b) => b.kind !== 'final')
      .map((b) => ({ id: b.id, takenAt: b.completedAt ?? b.createdAt, kind: b.kind === 'upload' ? 'manual' : b.kind }));
    const policy = row?.retention ?? { daily: 7, weekly: 4, monthly: 3 };
    const drop = [
      ...selectRetained(others, policy, now).drop,
      ...finals.filter((b) => b.keepUntil && b.keepUntil.getTime() <= now.getTime()).map((b) => b.id),
    ].filter((id) => !pinned.has(id));
    for (const id of drop) {
      const backup = completed.find((b) => b.id === id);
      try {
        if (backup?.storageKey) await deps.backupStorage.delete(backup.storageKey);
        await repo.markDeleted(id);
        removed++;
      } catch (err) {
        errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (errors.length) deps.log.warn({ errors: errors.slice(0, 20) }, 'backup retention: some archives could not be removed');
  return { removed, failed: errors.length };
}

/**
 * The final backup, before anything of the instance is removed (the deletion workflow's first step). Kept
 * for the plan's monthly horizon (at least a month). Nothing to save for an instance that never ran or whose
 * database is gone; a final backup that completed on an earlier attempt of the same deletion is not remade.
 * Files out of reach (on a swarm, its node is away; the volume gone) do not hold the deletion up: the final
 * backup is the database alone, and the instance's history says so.
 */
export async function takeFinalBackup(deps: InstanceOpsDeps, runner: BackupRunner, instance: InstanceRow): Promise<void> {
  const { db } = deps.database;
  if (!instance.readyAt) return;
  if (!(await deps.tenantDb.databaseExists(instanceNames(deps.config.resourcePrefix, instance.id).db))) return;
  // This deletion's own: one taken before it (at a cancellation) may be older than the data.
  const [deletion] = await db
    .select({ at: instanceEvents.at })
    .from(instanceEvents)
    .where(and(eq(instanceEvents.instanceId, instance.id), eq(instanceEvents.toStatus, 'deleting')))
    .orderBy(desc(instanceEvents.at))
    .limit(1);
  const [done] = await db
    .select({ id: backups.id })
    .from(backups)
    .where(
      and(
        eq(backups.instanceId, instance.id),
        eq(backups.kind, 'final'),
        eq(backups.status, 'completed'),
        gte(backups.createdAt, deletion?.at ?? new Date(0)),
      ),
    )
    .limit(1);
  if (done) return;
  const keepUntil = await finalKeepUntil(db, instance.tenantId);
  const files = await deps.runtime.volumeExists(instanceNames(deps.config.resourcePrefix, instance.id).volume);
  await withBackupLock(deps.database.pool, instance.id, () => runner.takeNow(instance, 'final', null, keepUntil, files));
  if (!files) {
    const repo = new InstancesRepository(db);
    const now = await repo.findById(instance.id);
    const reason = 'final backup of the database only: the files are out of reach (their node does not answer, or the volume is gone)';
    if (now) await repo.transition(now.id, [now.status], now.status, { actorId: null, reason });
  }
}

/** How long a final backup is kept: the plan's monthly horizon, at least a month. */
async function finalKeepUntil(db: Db, tenantId: string): Promise<Date> {
  const [plan] = await db
    .select({ retention: plans.backupRetention })
    .from(tenants)
    .innerJoin(plans, eq(plans.code, tenants.planCode))
    .where(eq(tenants.id, tenantId));
  const keepUntil = new Date();
  keepUntil.setUTCMonth(keepUntil.getUTCMonth() + Math.max(1, plan?.retention.monthly ?? 1));
  return keepUntil;
}

/**
 * A cancelled subscription: a final backup of each of the tenant's instances, queued at once and kept for the
 * retention period (the instances themselves are deleted only when billing retention ends, with another final
 * backup then). Asking twice for the same cancellation queues nothing more.
 */
export async function queueFinalBackups(deps: { db: Db; queues: Queues }, tenantId: string, since: Date): Promise<number> {
  const { db } = deps;
  const live = await db
    .select()
    .from(instances)
    .where(and(eq(instances.tenantId, tenantId), inArray(instances.status, ['running', 'stopped'])));
  const repo = new BackupsRepository(db);
  const keepUntil = await finalKeepUntil(db, tenantId);
  let queued = 0;
  for (const instance of live) {
    const [already] = await db
      .select({ id: backups.id })
      .from(backups)
      .where(and(eq(backups.instanceId, instance.id), eq(backups.kind, 'final'), gte(backups.createdAt, since)))
      .limit(1);
    if (already) continue;
    const backup = await repo.create({
      tenantId,
      instanceId: instance.id,
      kind: 'final',
      odooVersion: instance.version,
      requestedBy: null,
      keepUntil,
    });
    await enqueueBackup(deps.queues, backup.id);
    queued++;
  }
  return queued;
}
