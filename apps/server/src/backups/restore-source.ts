import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { instanceNames } from '../instances/instance-names.js';
import type { InstanceRow } from '../instances/instances.repo.js';
import { PermanentStepError } from '../jobs/workflow.js';
import { ArchiveRefused, extractOdooArchive } from './archive-validation.js';
import type { BackupRow } from './backups.repo.js';
import { loadDump } from './odoo-sandbox.js';
import { BackupDecryptionError } from './storage/encryption.js';

const DONE_MARKER = '.extracted';

/**
 * A backup's archive, fetched from storage and extracted (validated member by member, see
 * archive-validation.ts) into `dir/archive`; returns that directory. The same directory serves every step of
 * a restore; a marker written last tells a resumed run that the extraction finished, so only an unfinished one
 * is done again. An archive that is corrupt or refused stays so: that failure is permanent (no retries).
 */
export async function extractBackup(
  deps: Pick<InstanceOpsDeps, 'backupStorage'>,
  backup: Pick<BackupRow, 'id' | 'storageKey' | 'sha256' | 'status'>,
  dir: string,
  targetVersion: string,
): Promise<{ root: string }> {
  const root = join(dir, 'archive');
  if (await stat(join(dir, DONE_MARKER)).catch(() => null)) return { root };
  if (backup.status !== 'completed' || !backup.storageKey) throw new Error(`backup ${backup.id} is not complete`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const zipFile = join(dir, 'backup.zip');
    const hash = createHash('sha256');
    await pipeline(
      await deps.backupStorage.get(backup.storageKey),
      new Transform({
        transform(chunk: Buffer, _enc, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      }),
      createWriteStream(zipFile, { flags: 'wx', mode: 0o600 }),
    );
    if (backup.sha256 && hash.digest('hex') !== backup.sha256) {
      throw new ArchiveRefused('archive_checksum_mismatch', `Backup ${backup.id}: the stored archive does not match its checksum.`);
    }
    await extractOdooArchive(zipFile, root, { targetVersion });
    await rm(zipFile, { force: true });
  } catch (err) {
    if (err instanceof BackupDecryptionError || err instanceof ArchiveRefused) throw new PermanentStepError(err.message, { cause: err });
    throw err;
  }
  await writeFile(join(dir, DONE_MARKER), '');
  return { root };
}

/** The database of the instance, made anew from an extracted archive's dump.sql (loaded in the instance's own sandbox). */
export async function loadDatabase(deps: InstanceOpsDeps, instance: InstanceRow, root: string, signal?: AbortSignal) {
  const names = instanceNames(deps.config.resourcePrefix, instance.id);
  await deps.tenantDb.dropDatabase(names.db);
  await deps.tenantDb.ensureDatabase(names.db, names.role);
  await loadDump(deps, instance, names.db, join(root, 'dump.sql'), signal);
}

/** The instance's filestore replaced by the archive's (an archive without one leaves an empty filestore). */
export async function loadFilestore(deps: InstanceOpsDeps, instance: InstanceRow, root: string) {
  const names = instanceNames(deps.config.resourcePrefix, instance.id);
  const source = join(root, 'filestore');
  const present = await readdir(source).then(
    () => true,
    () => false,
  );
  if (!present) await mkdir(source, { recursive: true });
  await deps.runtime.importVolumeDir(names.volume, `filestore/${names.db}`, source, instance.image);
}
