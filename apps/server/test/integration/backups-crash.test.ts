import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOdooArchive } from '../../src/backups/archive-validation.js';
import { BackupsRepository } from '../../src/backups/backups.repo.js';
import type { BackupDto } from '../../src/backups/backups.schemas.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import { call, createUser, fakeIp, type Harness, startHarness, type TestUser } from '../harness.js';
import { filestoreChecksums, plantFilestore, tableChecksums, waitForBackup, waitForRestore, withTenantDb } from '../support/backups.js';
import { createInstance, type InstanceDto, odooPort, odooRpc, waitForStatus } from '../support/instances.js';
import { type BuiltProcess, killHard, startWorkerProcess } from '../support/worker-process.js';

/**
 * Worker processes (the build's main-worker.js) killed with SIGKILL in the middle of a backup or a restore,
 * then a new one started: no archive is ever marked complete unless stored whole, the job finishes on the new
 * worker, and the instance is never left down. And a restore of a corrupted archive fails, changing nothing.
 */
const QUEUE_PREFIX = `bcrash-${randomUUID().slice(0, 8)}`;
const env = { QUEUE_PREFIX, PROVISION_FROM_TEMPLATE: 'false', WORKFLOW_STEP_PAUSE_MS: '0' };
const IMAGE = 'odoo-standin:18.0';
// Incompressible files, enough for "Compressing and storing" to last a few seconds.
const FILE_COUNT = 200;

let h: Harness;
let owner: TestUser;
let instance: InstanceDto;
let worker: BuiltProcess | undefined;
let backup: BackupDto;
let tablesAtBackup: Record<string, string>;
let filesAtBackup: Record<string, string>;

/** One worker at a time: a new one replaces (kills) the last, so none outlives the file to act on later suites' resources. */
const startWorker = async (extra: Record<string, string> = {}) => {
  if (worker) await killHard(worker);
  worker = startWorkerProcess({ ...env, ...extra });
  return worker;
};
const stopWorker = async () => {
  if (worker) await killHard(worker);
  worker = undefined;
};

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: timed out\n${worker?.output.slice(-30).join('') ?? ''}`);
}

/**
 * What BullMQ's lock expiry does to the job of a killed worker, done at once rather than after the queue's
 * lockDuration (30 s): the lock the dead worker held is gone, and the next worker's own stalled-job check takes
 * the job back, as it would have.
 */
async function lockRunsOut(jobId: string) {
  expect(await h.platform.redis.del(h.platform.queues.backups.toKey(`${jobId}:lock`)), `the killed worker held ${jobId}`).toBe(1);
}

const storageDir = () => {
  const storage = h.platform.config.backups.storage;
  if (storage.driver !== 'local') throw new Error('these tests read the local storage directory');
  return storage.dir;
};
const tempFilesOf = async (key: string) =>
  (await readdir(join(storageDir(), dirname(key))).catch(() => [] as string[])).filter((f) => f.endsWith('.tmp'));

async function download(backupId: string): Promise<Buffer> {
  const link = await call(h.app, 'POST', `/api/v1/backups/${backupId}/download-link`, { client: owner });
  expect(link.statusCode, link.body).toBe(200);
  const url = new URL((link.json() as { url: string }).url);
  const res = await h.app.inject({ method: 'GET', url: url.pathname + url.search, headers: { 'x-forwarded-for': fakeIp() } });
  expect(res.statusCode).toBe(200);
  return res.rawPayload;
}

async function odooAnswers() {
  const reply = await odooRpc(odooPort(h, (await h.platform.instances.get(instance.id)).slot), 'common', 'version', []);
  return reply.result !== undefined;
}

beforeAll(async () => {
  h = await startHarness({ withWorker: false, env });
  owner = await createUser(h, { label: 'backup-crash', verify: 'direct' });
  await startWorker();
  const created = await createInstance(h, owner, { version: '18.0' });
  instance = await waitForStatus(h, owner, created.id, ['running'], 120_000);
  await withTenantDb(h.platform, instance.id, async (c) => {
    const { rows } = await c.query<{ d: string }>('select current_database() as d');
    await c.query(`set role ${c.escapeIdentifier(rows[0]?.d ?? '')}`);
    await c.query('create table x_notes (id serial primary key, body text not null)');
    await c.query("insert into x_notes (body) select 'note ' || g from generate_series(1, 2000) g");
  });
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < FILE_COUNT; i++) files[`${(i % 256).toString(16).padStart(2, '0')}/file-${i}`] = randomBytes(1_000_000);
  await plantFilestore(h.platform, instance.id, IMAGE, files);
  await stopWorker();
}, 240_000);

afterAll(async () => {
  await stopWorker();
  await h?.close();
});

describe('backups and restores when the worker is killed', () => {
  it('a backup killed while storing is not complete until a new worker remakes it whole', async () => {
    tablesAtBackup = await tableChecksums(h.platform, instance.id);
    filesAtBackup = await filestoreChecksums(h.platform, instance.id, IMAGE);
    const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/backups`, { client: owner });
    expect(res.statusCode, res.body).toBe(202);
    const id = (res.json() as BackupDto).id;
    const repo = new BackupsRepository(h.platform.db);
    const key = (await repo.find(id))?.storageKey ?? '';
    expect(key).not.toBe('');

    await startWorker();
    await until('storing', async () => (await repo.find(id))?.progress?.step === 'Compressing and storing');
    // Part of the archive is written by now (a temp file), not all of it.
    await until('a partial upload', async () => (await tempFilesOf(key)).length > 0, 10_000);
    await stopWorker();
    const cut = await repo.find(id);
    expect(cut?.status).toBe('running');
    expect(await h.platform.backupStorage.head(key)).toBeNull();

    await lockRunsOut(`backup-${id}`);
    await startWorker();
    // The job's lock is gone (BullMQ stalled-job recovery) and the new worker makes the backup from the start.
    backup = await waitForBackup(h, owner, instance.id, id, ['completed', 'failed'], 150_000);
    expect(backup.status, backup.error ?? '').toBe('completed');
    expect((await repo.find(id))?.attempts).toBeGreaterThanOrEqual(2);
    expect(backup.filestoreFiles).toBe(FILE_COUNT);

    const zip = await download(id);
    expect(zip.length).toBe(backup.sizeBytes);
    const file = join(tmpdir(), `crash-${id}.zip`);
    await writeFile(file, zip);
    try {
      const inspection = await inspectOdooArchive(file);
      expect(inspection.manifest.saas?.filestoreFiles).toBe(FILE_COUNT);
    } finally {
      await rm(file, { force: true });
    }
    // The killed attempt's temp file does not outlive the retry.
    expect(await tempFilesOf(key)).toEqual([]);
    expect((await stat(join(storageDir(), key))).size).toBeGreaterThan(FILE_COUNT * 1_000_000);
    await stopWorker();
  }, 240_000);

  it('a restore killed while loading the database resumes on a new worker and ends with the backup’s data, Odoo up', async () => {
    await withTenantDb(h.platform, instance.id, (c) => c.query("delete from x_notes where id > 100; update x_notes set body = 'changed'"));
    expect(await tableChecksums(h.platform, instance.id)).not.toEqual(tablesAtBackup);
    const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restore`, { client: owner, body: { backupId: backup.id } });
    expect(res.statusCode, res.body).toBe(202);
    const restoreId = (res.json() as { id: string }).id;

    // Each step pauses in this worker, so the kill lands inside "database" (Odoo stopped, old database set aside).
    await startWorker({ WORKFLOW_STEP_PAUSE_MS: '2000' });
    await until(
      'the database step',
      async () => {
        const [run] = await h.platform.db
          .select()
          .from(workflowRuns)
          .where(and(eq(workflowRuns.subjectId, restoreId), eq(workflowRuns.kind, 'backup.restore')));
        return run?.currentStep === 'database';
      },
      180_000,
    );
    await stopWorker();

    await lockRunsOut(`restore-${restoreId}`);
    await startWorker();
    const restore = await waitForRestore(h, owner, instance.id, restoreId, 240_000);
    expect(restore.status, restore.error ?? '').toBe('succeeded');
    expect(await tableChecksums(h.platform, instance.id)).toEqual(tablesAtBackup);
    expect(await filestoreChecksums(h.platform, instance.id, IMAGE)).toEqual(filesAtBackup);
    const after = await waitForStatus(h, owner, instance.id, ['running']);
    expect(after.progress).toBeNull();
    expect(await odooAnswers()).toBe(true);
    await stopWorker();
  }, 420_000);

  it('a restore of an archive corrupted in storage fails with the real cause, and the instance is as it was', async () => {
    await withTenantDb(h.platform, instance.id, (c) => c.query("update x_notes set body = 'after the backup' where id < 5"));
    const tablesBefore = await tableChecksums(h.platform, instance.id);
    // Bytes flipped in the middle of the stored (encrypted) object.
    const row = await new BackupsRepository(h.platform.db).find(backup.id);
    const path = join(storageDir(), row?.storageKey ?? '');
    const { size } = await stat(path);
    const handle = await import('node:fs/promises').then((fs) => fs.open(path, 'r+'));
    await handle.write(randomBytes(4096), 0, 4096, Math.floor(size / 2));
    await handle.close();

    await startWorker();
    const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restore`, { client: owner, body: { backupId: backup.id } });
    expect(res.statusCode, res.body).toBe(202);
    const restoreId = (res.json() as { id: string }).id;
    const asked = Date.now();
    const restore = await waitForRestore(h, owner, instance.id, restoreId, 360_000);
    expect(restore.status).toBe('failed');
    expect(restore.error ?? '').toMatch(/decrypt|authenticat|corrupt|tamper/i);
    const state = await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: owner });
    expect((state.json() as { restores: { id: string; error: string | null }[] }).restores[0]).toMatchObject({
      id: restoreId,
      error: restore.error,
    });
    expect(await tableChecksums(h.platform, instance.id)).toEqual(tablesBefore);
    const after = await waitForStatus(h, owner, instance.id, ['running']);
    expect(after.progress).toBeNull();
    expect(await odooAnswers()).toBe(true);
    console.info(`corrupted archive: the restore failed after ${Math.round((Date.now() - asked) / 1000)} s: ${restore.error}`);
    await stopWorker();
  }, 420_000);
});
