import { and, desc, eq, inArray } from 'drizzle-orm';
import { AuditRepository } from '../audit/audit.repo.js';
import { auditLog } from '../audit/audit.tables.js';
import { users } from '../auth/auth.tables.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { OutboxRepository } from '../mail/outbox.repo.js';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';
import type { TenantDbServer } from '../tenant-db/tenant-db-server.js';
import { memberships } from '../tenants/tenants.tables.js';
import { instanceNames } from './instance-names.js';
import { type InstanceRow, InstancesRepository } from './instances.repo.js';
import type { InstanceLimits } from './instances.tables.js';

/*
 * The plan's `storageGb`, measured: the tenant database (pg_database_size) plus the data volume (filestore,
 * sessions), as the engine counts it. Nothing on this engine can cap a local volume (docs/instances.md), so
 * the limit is watched rather than enforced by the kernel: a warning at 80 %, and at 100 % the instance is
 * marked `storage_full` in the tenant's audit trail and its owners are told, once per crossing.
 */

export const STORAGE_WARNING_RATIO = 0.8;
const GiB = 1024 ** 3;

export type StorageState = 'ok' | 'warning' | 'full';

export interface StorageUsage {
  /** Database plus filestore; null when neither could be measured. */
  usedBytes: number | null;
  limitBytes: number;
  databaseBytes: number | null;
  filestoreBytes: number | null;
  state: StorageState;
}

export function storageState(usedBytes: number | null, limitBytes: number): StorageState {
  if (usedBytes === null) return 'ok';
  if (usedBytes >= limitBytes) return 'full';
  return usedBytes >= limitBytes * STORAGE_WARNING_RATIO ? 'warning' : 'ok';
}

export function storageUsage(
  limits: Pick<InstanceLimits, 'storageGb'>,
  databaseBytes: number | null,
  filestoreBytes: number | null,
): StorageUsage {
  const usedBytes = databaseBytes === null && filestoreBytes === null ? null : (databaseBytes ?? 0) + (filestoreBytes ?? 0);
  const limitBytes = limits.storageGb * GiB;
  return { usedBytes, limitBytes, databaseBytes, filestoreBytes, state: storageState(usedBytes, limitBytes) };
}

export interface StorageDeps {
  config: Config;
  runtime: InstanceRuntime;
  tenantDb: TenantDbServer;
}

/** Measures an instance's storage now (an engine or database that does not answer counts as unmeasured). */
export async function measureStorage(deps: StorageDeps, instance: Pick<InstanceRow, 'id' | 'limits'>): Promise<StorageUsage> {
  const names = instanceNames(deps.config.resourcePrefix, instance.id);
  const [databaseBytes, filestoreBytes] = await Promise.all([
    deps.tenantDb.databaseSize(names.db).catch(() => null),
    deps.runtime.volumeUsage(names.volume).catch(() => null),
  ]);
  return storageUsage(instance.limits, databaseBytes, filestoreBytes);
}

/** The audit actions that record a crossing; the latest one is the state the owners were last told about. */
const ACTIONS: Record<StorageState, string> = {
  ok: 'instance.storage_ok',
  warning: 'instance.storage_warning',
  full: 'instance.storage_full',
};
const STATE_OF = new Map(Object.entries(ACTIONS).map(([state, action]) => [action, state as StorageState]));

const signature = '\n\n— The Odoo Cloud team';
const gib = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

function storageMail(to: string, instance: Pick<InstanceRow, 'name' | 'slug'>, usage: StorageUsage) {
  const used = `${gib(usage.usedBytes ?? 0)} of ${gib(usage.limitBytes)}`;
  const full = usage.state === 'full';
  return {
    to,
    subject: full ? `${instance.name} has used all of its storage` : `${instance.name} is running out of storage`,
    text: full
      ? `Your Odoo instance ${instance.name} (${instance.slug}) uses ${used}, all the storage its plan includes. It keeps running, but the platform may refuse further growth: delete attachments or old data, or move to a larger plan.${signature}`
      : `Your Odoo instance ${instance.name} (${instance.slug}) uses ${used} of storage (database and files). Delete attachments or old data, or move to a larger plan, before it is full.${signature}`,
    links: [],
  };
}

export interface StorageCrossing {
  from: StorageState;
  to: StorageState;
  usage: StorageUsage;
  mailed: number;
}

/**
 * Records a change of the instance's storage state, once: in one transaction under a per-instance lock, the
 * last recorded state is read from the audit trail and, when it differs, the new one is recorded and (for a
 * rise to `warning` or `full`) a mail to each owner of the tenant goes into the outbox. Null when nothing changed.
 */
export async function recordStorageState(
  db: Db,
  instance: Pick<InstanceRow, 'id' | 'tenantId' | 'name' | 'slug'>,
  usage: StorageUsage,
): Promise<StorageCrossing | null> {
  if (usage.usedBytes === null) return null;
  return db.transaction(async (tx) => {
    await lockForTransaction(tx, `instance-storage:${instance.id}`);
    const [last] = await tx
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.targetType, 'instance'), eq(auditLog.targetId, instance.id), inArray(auditLog.action, Object.values(ACTIONS))))
      .orderBy(desc(auditLog.id))
      .limit(1);
    const from = (last && STATE_OF.get(last.action)) ?? 'ok';
    if (from === usage.state) return null;
    await new AuditRepository(tx).record({
      actorId: null,
      actorEmail: null,
      tenantId: instance.tenantId,
      action: ACTIONS[usage.state],
      targetType: 'instance',
      targetId: instance.id,
      ip: null,
      result: 'success',
      requestId: null,
      details: {
        from,
        usedBytes: usage.usedBytes,
        limitBytes: usage.limitBytes,
        databaseBytes: usage.databaseBytes,
        filestoreBytes: usage.filestoreBytes,
      },
    });
    const rising = usage.state === 'full' || (usage.state === 'warning' && from === 'ok');
    let mailed = 0;
    if (rising) {
      const owners = await tx
        .select({ email: users.email })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.tenantId, instance.tenantId), eq(memberships.role, 'owner')));
      // Delivered by the worker's outbox sweep.
      for (const owner of owners) await new OutboxRepository(tx).add(storageMail(owner.email, instance, usage));
      mailed = owners.length;
    }
    return { from, to: usage.state, usage, mailed };
  });
}

/**
 * Each instance's storage in use (bytes) as this process last measured it: the worker's metrics
 * (saas_instance_disk_bytes) read it rather than walking the volumes again.
 */
export const lastMeasuredStorage = new Map<string, number>();

/** How often the reconciler measures every instance: sizing a volume walks its files. */
export const STORAGE_CHECK_EVERY_MS = 5 * 60_000;

/**
 * Measures every running or stopped instance and records each change of state (see recordStorageState).
 * One instance that cannot be measured does not keep the others from being looked at.
 */
export async function checkStorage(deps: StorageDeps & { db: Db }): Promise<(StorageCrossing & { instanceId: string })[]> {
  const crossings: (StorageCrossing & { instanceId: string })[] = [];
  for (const instance of await new InstancesRepository(deps.db).listSettled()) {
    const usage = await measureStorage(deps, instance);
    if (usage.usedBytes !== null) lastMeasuredStorage.set(instance.id, usage.usedBytes);
    const crossing = await recordStorageState(deps.db, instance, usage).catch(() => null);
    if (crossing) crossings.push({ ...crossing, instanceId: instance.id });
  }
  return crossings;
}
