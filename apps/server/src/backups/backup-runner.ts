import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { decrypt, secretContext } from '../auth/secrets.js';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { publishInstanceUpdate } from '../instances/instance-events.js';
import { withBackupLock } from '../instances/instance-locks.js';
import { instanceNames } from '../instances/instance-names.js';
import { type InstanceRow, InstancesRepository } from '../instances/instances.repo.js';
import type { TenantLogin } from '../tenant-db/tenant-db-server.js';
import { type BackupRow, BackupsRepository } from './backups.repo.js';
import type { BackupKindValue, JobProgress } from './backups.tables.js';
import { buildManifest, type OdooVersionInfo, writeOdooArchive } from './odoo-archive.js';

/** Odoo's version_info for a major version ('17.0' → [17, 0, 0, 'final', 0, '']); Odoo's own manifest has the same shape. */
export function versionInfoOf(version: string): OdooVersionInfo {
  const [major, minor] = version
    .replace(/^saas~/, '')
    .split('.')
    .map(Number);
  return [major ?? 0, minor ?? 0, 0, 'final', 0, ''];
}

export function instanceLogin(deps: Pick<InstanceOpsDeps, 'config'>, instance: Pick<InstanceRow, 'id' | 'dbPassword'>): TenantLogin {
  const { role } = instanceNames(deps.config.resourcePrefix, instance.id);
  return { role, password: decrypt(deps.config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id)) };
}

/** A scratch directory of one job under BACKUP_WORK_DIR, removed by `release`. */
export async function workDirFor(deps: Pick<InstanceOpsDeps, 'config'>, label: string) {
  await mkdir(deps.config.backups.workDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(deps.config.backups.workDir, `${label}-`));
  return { dir, release: () => rm(dir, { recursive: true, force: true }) };
}

/** Counts the bytes that pass, to report progress while the archive is written. */
function meter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

/** The worker's side of backups: one archive per call, written straight into backup storage. */
export class BackupRunner {
  constructor(private readonly deps: InstanceOpsDeps) {}

  private get repo() {
    return new BackupsRepository(this.deps.database.db);
  }

  private async changed(instanceId: string) {
    await publishInstanceUpdate(this.deps.redis, { id: instanceId }).catch(() => undefined);
  }

  private async progress(backup: BackupRow, progress: JobProgress) {
    await this.repo.setProgress(backup.id, progress);
    await this.changed(backup.instanceId);
  }

  /**
   * Runs one queued backup job. Repeating it is safe: a backup that ended is left alone, and one that was
   * cut short (a crash) is made again from the start under the same storage key, which only a finished
   * upload ever fills (both drivers publish an object whole or not at all). Throws while attempts remain.
   */
  async run(backupId: string, options: { lastAttempt: boolean }): Promise<string> {
    const existing = await this.repo.find(backupId);
    if (!existing || (existing.status !== 'queued' && existing.status !== 'running')) return `skipped (${existing?.status ?? 'gone'})`;
    const instance = await new InstancesRepository(this.deps.database.db).findById(existing.instanceId);
    if (!instance || instance.status === 'deleted') {
      await this.repo.fail(backupId, 'The instance was deleted before its backup could be taken.');
      await this.changed(existing.instanceId);
      return 'failed (instance gone)';
    }
    try {
      await withBackupLock(this.deps.database.pool, instance.id, () => this.take(backupId, instance));
      return 'completed';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.log.warn({ backupId, instanceId: instance.id, err: message }, 'backup failed');
      if (!options.lastAttempt) throw err;
      await this.repo.fail(backupId, message);
      await this.changed(instance.id);
      return `failed: ${message}`;
    }
  }

  /**
   * A backup taken inside another operation (the safety backup of a restore, the final backup of a
   * deletion), which holds the instance's backup lock already or does not need it: made and awaited here.
   */
  async takeNow(
    instance: InstanceRow,
    kind: BackupKindValue,
    requestedBy: string | null,
    keepUntil?: Date,
    /** `false`: the database only, the files being out of reach (a deletion's final backup of an instance whose node is away). */
    files = true,
  ): Promise<BackupRow> {
    const backup = await this.repo.create({
      tenantId: instance.tenantId,
      instanceId: instance.id,
      kind,
      odooVersion: instance.version,
      requestedBy,
      keepUntil: keepUntil ?? null,
    });
    try {
      return await this.take(backup.id, instance, files);
    } catch (err) {
      await this.repo.fail(backup.id, err instanceof Error ? err.message : String(err));
      await this.changed(instance.id);
      throw err;
    }
  }

  /** Dump, filestore, archive, upload; the row is `completed` only once the object is stored whole. */
  private async take(backupId: string, instance: InstanceRow, withFiles = true): Promise<BackupRow> {
    const claimed = await this.repo.claim(backupId);
    if (!claimed?.storageKey) throw new Error(`backup ${backupId} cannot be taken (${claimed ? 'no storage key' : 'it ended meanwhile'})`);
    const { deps } = this;
    const names = instanceNames(deps.config.resourcePrefix, instance.id);
    const as = instanceLogin(deps, instance);
    const work = await workDirFor(deps, `backup-${backupId}`);
    try {
      await this.progress(claimed, { step: 'Dumping the database', percent: 5 });
      // Odoo's own order (dump_db): the database first, then the filestore.
      const facts = await deps.tenantDb.odooDumpFacts(names.db, as);
      const dumpFile = join(work.dir, 'dump.sql');
      const dump = await deps.tenantDb.dumpDatabase(names.db, as, dumpFile);
      await this.progress(claimed, { step: 'Copying the files', percent: 35 });
      const filestoreDir = join(work.dir, 'filestore');
      const files = withFiles
        ? await deps.runtime.exportVolumeDir(names.volume, `filestore/${names.db}`, filestoreDir, instance.image)
        : await mkdir(filestoreDir, { recursive: true }).then(() => ({ found: false, files: 0, bytes: 0, skipped: [] as string[] }));
      if (files.skipped.length > 0)
        deps.log.warn({ backupId, skipped: files.skipped.slice(0, 20) }, 'filestore entries left out of the backup');

      await this.progress(claimed, { step: 'Compressing and storing', percent: 55 });
      const expected = Math.max(1, dump.bytes + files.bytes);
      let lastReport = Date.now();
      let zipBytes = 0;
      const counted = meter((total) => {
        zipBytes = total;
        if (Date.now() - lastReport < 2_000) return;
        lastReport = Date.now();
        // Deflated output is smaller than its input: a rough, never-backwards estimate up to 95 %.
        const percent = Math.min(95, 55 + Math.round((40 * total) / expected));
        void this.progress(claimed, { step: 'Compressing and storing', percent }).catch(() => undefined);
      });
      const zip = new PassThrough();
      const stored = deps.backupStorage.put(claimed.storageKey, zip.pipe(counted), {});
      const manifest = buildManifest({
        dbName: names.db,
        versionInfo: versionInfoOf(instance.version),
        serverVersionNum: facts.serverVersionNum,
        modules: facts.modules,
      });
      const [archive, object] = await Promise.all([
        writeOdooArchive({ dumpSql: dumpFile, filestoreDir, manifest }, zip).catch((err: unknown) => {
          zip.destroy(err as Error);
          throw err;
        }),
        stored,
      ]);
      const done = await this.repo.complete(backupId, {
        sizeBytes: zipBytes,
        sha256: object.sha256,
        databaseBytes: archive.manifest.saas.dumpBytes,
        filestoreBytes: archive.manifest.saas.filestoreBytes,
        filestoreFiles: archive.manifest.saas.filestoreFiles,
        modules: Object.keys(archive.manifest.modules).length,
      });
      if (!done) {
        // Deleted while it ran: the object it just stored must not outlive the row.
        await deps.backupStorage.delete(claimed.storageKey).catch(() => undefined);
        throw new Error('the backup was deleted while it was being taken');
      }
      await this.changed(instance.id);
      return done;
    } finally {
      await work.release();
    }
  }
}
