import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { conflict, DomainError, fieldInvalid, forbidden, notFound } from '../errors/domain-error.js';
import { type InstanceRow, InstancesRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import { inspectOdooArchive } from './archive-validation.js';
import { enqueueBackup, enqueueRestore } from './backup-jobs.js';
import { nextSlot, startOfUtcDay } from './backup-schedule.js';
import { receiveUpload } from './backup-upload.js';
import { type BackupRow, BackupsRepository, type RestoreRow } from './backups.repo.js';
import type { BackupDto, BackupScheduleDto, InstanceBackupsDto, RestoreDto } from './backups.schemas.js';
import type { BackupStorage } from './storage/backup-storage.js';

export interface BackupsServiceDeps {
  db: Db;
  config: Config;
  queues: Queues;
  storage: BackupStorage;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toBackupDto(b: BackupRow, instance: Pick<InstanceRow, 'name' | 'slug' | 'status'>): BackupDto {
  return {
    id: b.id,
    tenantId: b.tenantId,
    instanceId: b.instanceId,
    instanceName: instance.name,
    instanceSlug: instance.slug,
    instanceDeleted: instance.status === 'deleted',
    kind: b.kind,
    status: b.status,
    odooVersion: b.odooVersion,
    progress: b.status === 'running' || b.status === 'queued' ? (b.progress ?? null) : null,
    sizeBytes: b.sizeBytes,
    sha256: b.sha256,
    databaseBytes: b.databaseBytes,
    filestoreBytes: b.filestoreBytes,
    filestoreFiles: b.filestoreFiles,
    modules: b.modules,
    error: b.error,
    createdAt: b.createdAt.toISOString(),
    completedAt: iso(b.completedAt),
    keepUntil: iso(b.keepUntil),
  };
}

export function toRestoreDto(r: RestoreRow): RestoreDto {
  return {
    id: r.id,
    instanceId: r.instanceId,
    backupId: r.backupId,
    status: r.status,
    safetyBackupId: r.safetyBackupId,
    progress: r.progress ?? null,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  };
}

const backupInProgress = () => conflict('backup_in_progress', 'This backup is still being taken; wait until it has finished.');

/** The API's side of backups: asking for them, listing, downloading, deleting, uploading, restoring. */
export class BackupsService {
  constructor(private readonly deps: BackupsServiceDeps) {}

  private get repo() {
    return new BackupsRepository(this.deps.db);
  }

  private async instance(id: string): Promise<InstanceRow> {
    const instance = await new InstancesRepository(this.deps.db).findById(id);
    if (!instance || instance.status === 'deleted') throw notFound('Instance');
    return instance;
  }

  /** A backup that exists (not deleted). */
  async backup(id: string): Promise<BackupRow> {
    const backup = await this.repo.find(id);
    if (!backup || backup.status === 'deleted')
      throw new DomainError('not_found', 'backup_not_found', 'This backup does not exist or was deleted.');
    return backup;
  }

  /** The tenant that owns a backup (for the access check of /backups/:id routes). */
  async tenantOf(id: string): Promise<string | null> {
    const backup = await this.repo.find(id);
    return backup && backup.status !== 'deleted' ? backup.tenantId : null;
  }

  async dto(backup: BackupRow): Promise<BackupDto> {
    const instance = await new InstancesRepository(this.deps.db).findById(backup.instanceId);
    if (!instance) throw notFound('Instance');
    return toBackupDto(backup, instance);
  }

  async state(instanceId: string): Promise<InstanceBackupsDto> {
    const instance = await this.instance(instanceId);
    const [rows, restores, schedule] = await Promise.all([
      this.repo.listForInstance(instanceId),
      this.repo.listRestores(instanceId, 10),
      this.schedule(instance),
    ]);
    return { backups: rows.map((b) => toBackupDto(b, instance)), restores: restores.map(toRestoreDto), schedule };
  }

  async listForTenant(tenantId: string): Promise<BackupDto[]> {
    const rows = await this.repo.listForTenant(tenantId);
    return rows.map((r) => toBackupDto(r.backup, { name: r.instanceName, slug: r.instanceSlug, status: r.instanceStatus }));
  }

  async listAll(query: { limit: number; offset: number; tenantId?: string | undefined; status?: BackupRow['status'] | undefined }) {
    const [rows, total] = await this.repo.listAll(query);
    return {
      items: rows.map((r) => toBackupDto(r.backup, { name: r.instanceName, slug: r.instanceSlug, status: r.instanceStatus })),
      total,
    };
  }

  private async plan(tenantId: string) {
    const plan = await new InstancesRepository(this.deps.db).planOf(tenantId);
    if (!plan) throw notFound('Tenant');
    return plan;
  }

  private async schedule(instance: InstanceRow): Promise<BackupScheduleDto> {
    const now = new Date();
    const plan = await this.plan(instance.tenantId);
    return {
      hour: instance.backupHour,
      nextAt: nextSlot(instance.id, instance.backupHour, now).toISOString(),
      retention: plan.backupRetention,
      manualPerDay: plan.manualBackupsPerDay,
      manualUsedToday: await this.repo.countManualSince(instance.id, startOfUtcDay(now)),
      uploadMaxBytes: this.deps.config.backups.uploadMaxBytes,
    };
  }

  async setSchedule(instanceId: string, hour: number | null): Promise<BackupScheduleDto> {
    await this.instance(instanceId);
    const updated = await new InstancesRepository(this.deps.db).update(instanceId, { backupHour: hour });
    if (!updated) throw notFound('Instance');
    return this.schedule(updated);
  }

  /** Manual backups and uploads share the plan's daily allowance (UTC days). */
  private async checkAllowance(instance: InstanceRow) {
    const plan = await this.plan(instance.tenantId);
    const now = new Date();
    const used = await this.repo.countManualSince(instance.id, startOfUtcDay(now));
    if (used >= plan.manualBackupsPerDay) {
      const retryAfterSeconds = Math.ceil((startOfUtcDay(now).getTime() + 86_400_000 - now.getTime()) / 1000);
      throw new DomainError(
        'rate_limited',
        'backup_limit_reached',
        `Your plan allows ${plan.manualBackupsPerDay} manual backup(s) per day for each instance; scheduled backups continue as usual.`,
        { retryAfterSeconds },
      );
    }
  }

  private static usable(instance: InstanceRow, what: string) {
    if (instance.status !== 'running' && instance.status !== 'stopped') {
      throw conflict('invalid_state', `The instance is ${instance.status}; ${what} once it is running or stopped.`);
    }
  }

  async request(instanceId: string, actor: AuthenticatedUser): Promise<BackupRow> {
    const instance = await this.instance(instanceId);
    BackupsService.usable(instance, 'back it up');
    await this.checkAllowance(instance);
    const backup = await this.repo.create({
      tenantId: instance.tenantId,
      instanceId,
      kind: 'manual',
      odooVersion: instance.version,
      requestedBy: actor.userId,
    });
    await enqueueBackup(this.deps.queues, backup.id);
    return backup;
  }

  /**
   * A zip brought by the tenant (Odoo's database manager format, from any Odoo): received into a scratch
   * file within the size limit, validated whole (see archive-validation.ts), then stored like a backup of
   * the instance so that it can be restored. A refused archive leaves nothing behind.
   */
  async upload(instanceId: string, actor: AuthenticatedUser, body: Readable): Promise<BackupRow> {
    const instance = await this.instance(instanceId);
    BackupsService.usable(instance, 'upload a backup');
    await this.checkAllowance(instance);
    await mkdir(this.deps.config.backups.workDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.deps.config.backups.workDir, 'upload-'));
    try {
      const file = join(dir, 'upload.zip');
      await receiveUpload(body, file, this.deps.config.backups.uploadMaxBytes);
      const inspection = await inspectOdooArchive(file, { targetVersion: instance.version });
      const { size } = await stat(file);
      const backup = await this.repo.create({
        tenantId: instance.tenantId,
        instanceId,
        kind: 'upload',
        odooVersion: instance.version,
        requestedBy: actor.userId,
      });
      try {
        if (!backup.storageKey) throw new Error('no storage key');
        const stored = await this.deps.storage.put(backup.storageKey, createReadStream(file), {});
        const done = await this.repo.complete(backup.id, {
          sha256: stored.sha256,
          sizeBytes: size,
          databaseBytes: inspection.dumpSize,
          filestoreBytes: inspection.filestoreBytes,
          filestoreFiles: inspection.filestoreFiles,
          modules: Object.keys(inspection.manifest.modules).length,
        });
        return done ?? backup;
      } catch (err) {
        await this.repo.fail(backup.id, err instanceof Error ? err.message : String(err));
        throw err;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async remove(id: string): Promise<BackupRow> {
    const backup = await this.backup(id);
    if (backup.status === 'queued' || backup.status === 'running') throw backupInProgress();
    if ((await this.repo.pinnedByRestores()).has(id)) {
      throw conflict('backup_in_use', 'A restore is using this backup; delete it once the restore has finished.');
    }
    if (backup.storageKey && backup.status === 'completed') await this.deps.storage.delete(backup.storageKey);
    return (await this.repo.markDeleted(id)) ?? backup;
  }

  async restore(instanceId: string, backupId: string, actor: AuthenticatedUser): Promise<RestoreRow> {
    const instance = await this.instance(instanceId);
    BackupsService.usable(instance, 'restore it');
    if (instance.suspended) throw forbidden('tenant_suspended', 'This organization is suspended; settle its billing to restore.');
    const backup = await this.repo.find(backupId);
    if (!backup || backup.tenantId !== instance.tenantId || backup.status === 'deleted') {
      throw fieldInvalid('backupId', 'backup_not_found', 'No backup with this id belongs to this organization.');
    }
    // Another instance's data goes into a new instance (a copy, neutralised, with its own database uuid), never over this one.
    if (backup.instanceId !== instanceId) {
      throw fieldInvalid(
        'backupId',
        'backup_of_another_instance',
        'This backup belongs to another instance: restore it into a new instance (a copy) instead.',
      );
    }
    if (backup.status !== 'completed') throw backupInProgress();
    if (backup.odooVersion !== instance.version) {
      throw fieldInvalid(
        'backupId',
        'backup_version_mismatch',
        `This backup is of Odoo ${backup.odooVersion} and this instance runs Odoo ${instance.version}.`,
      );
    }
    try {
      const restore = await this.repo.createRestore({ tenantId: instance.tenantId, instanceId, backupId, requestedBy: actor.userId });
      await enqueueRestore(this.deps.queues, restore.id);
      return restore;
    } catch (err) {
      if (isUniqueViolation(err, 'restores_live_key'))
        throw conflict('restore_in_progress', 'A restore of this instance is already running.');
      throw err;
    }
  }

  // Download links: an HMAC over the backup id and the expiry, with a key of their own derived from the JWT secret.

  private sign(backupId: string, expires: number): string {
    const key = createHmac('sha256', this.deps.config.jwtSecret).update('backup-download-links').digest();
    return createHmac('sha256', key).update(`${backupId}.${expires}`).digest('base64url');
  }

  async downloadLink(id: string): Promise<{ url: string; expiresAt: string }> {
    const backup = await this.backup(id);
    if (backup.status !== 'completed') throw backupInProgress();
    const expires = Math.floor(Date.now() / 1000) + this.deps.config.backups.downloadLinkSeconds;
    const url = `${this.deps.config.publicUrl}/api/v1/backup-downloads/${id}?expires=${expires}&signature=${this.sign(id, expires)}`;
    return { url, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** The archive behind a signed link, decrypted as it streams; the link is checked before anything is read. */
  async download(id: string, expires: number, signature: string) {
    const expected = Buffer.from(this.sign(id, expires));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw forbidden('invalid_download_link', 'This download link is not valid.');
    }
    if (expires * 1000 < Date.now()) throw forbidden('download_link_expired', 'This download link has expired; ask for a new one.');
    const backup = await this.backup(id);
    if (backup.status !== 'completed' || !backup.storageKey) throw notFound('Backup');
    const instance = await new InstancesRepository(this.deps.db).findById(backup.instanceId);
    const day = (backup.completedAt ?? backup.createdAt).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    return {
      stream: await this.deps.storage.get(backup.storageKey),
      filename: `${instance?.slug ?? 'odoo'}-${day}-${backup.kind}.zip`,
      size: backup.sizeBytes,
    };
  }
}
