/**
 * Backup and restore benchmark (not a test): time and size of a backup, and of a restore in place, for an
 * instance with a ~1 GB database and a ~1 GB filestore. Runs the real API and worker in-process against the
 * local PostgreSQL, Redis and Docker engine with the Odoo stand-in image (the paths measured — pg_dump, the
 * engine's archive copy of the filestore, zip, encryption, storage, psql load — are the same as with Odoo).
 *
 *   flock -o /tmp/saas-test.lock npm run bench:backups -w @saas/server     (after `npm test` once)
 *   BENCH_DB_MB=1024 BENCH_FILES=1000 BENCH_FILE_MB=1 BENCH_OUT=... ...
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { BackupsRepository } from '../src/backups/backups.repo.js';
import type { BackupDto } from '../src/backups/backups.schemas.js';
import { instanceNames } from '../src/instances/instance-names.js';
import { call, createUser, type Harness, startHarness } from '../test/harness.js';
import { withTenantDb } from '../test/support/backups.js';
import { createInstance, waitForStatus } from '../test/support/instances.js';

const DB_MB = Number(process.env.BENCH_DB_MB ?? 1024);
const FILES = Number(process.env.BENCH_FILES ?? 1000);
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 1);
const OUT = process.env.BENCH_OUT ?? 'bench-backups.json';
const IMAGE = 'odoo-standin:18.0';
const MiB = 2 ** 20;
const round = (n: number) => Math.round(n * 100) / 100;
const seconds = (from: number, to = performance.now()) => round((to - from) / 1000);

/** Polls `read` until `done`, recording when each progress step was first seen: the phases. */
async function follow<T>(read: () => Promise<T>, stepOf: (t: T) => string | undefined, done: (t: T) => boolean) {
  const started = performance.now();
  const seen: { step: string; at: number }[] = [];
  for (;;) {
    const value = await read();
    const step = stepOf(value);
    if (step && seen.at(-1)?.step !== step) seen.push({ step, at: performance.now() });
    if (done(value)) {
      const end = performance.now();
      const phases = seen.map((s, i) => ({ step: s.step, seconds: seconds(s.at, seen[i + 1]?.at ?? end) }));
      return { value, seconds: seconds(started, end), phases };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function fillDatabase(h: Harness, instanceId: string) {
  const started = performance.now();
  await withTenantDb(h.platform, instanceId, async (c) => {
    const { rows } = await c.query<{ d: string }>('select current_database() as d');
    await c.query(`set role ${c.escapeIdentifier(rows[0]?.d ?? '')}`);
    await c.query('create table bench_blob (id bigserial primary key, body text not null)');
    // Base64 of random hashes: ~1 KB rows that deflate only to about three quarters (like binary data in Odoo).
    const chunk = Array.from({ length: 12 }, (_, i) => `sha512((random()::text || '${i}')::bytea)`).join(' || ');
    for (;;) {
      const size = await c.query<{ n: string }>('select pg_database_size(current_database()) as n');
      if (Number(size.rows[0]?.n) >= DB_MB * MiB) break;
      await c.query(`insert into bench_blob (body) select encode(${chunk}, 'base64') from generate_series(1, 100000)`);
    }
    await c.query('analyze bench_blob');
  });
  return seconds(started);
}

async function fillFilestore(h: Harness, instanceId: string) {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'bench-filestore-'));
  try {
    for (let i = 0; i < FILES; i++) {
      const sub = join(dir, (i % 256).toString(16).padStart(2, '0'));
      await mkdir(sub, { recursive: true });
      await writeFile(join(sub, `${randomUUID()}`), randomBytes(FILE_MB * MiB));
    }
    const names = instanceNames(h.platform.config.resourcePrefix, instanceId);
    await h.platform.runtime.importVolumeDir(names.volume, `filestore/${names.db}`, dir, IMAGE);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return seconds(started);
}

async function main() {
  const h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  try {
    const owner = await createUser(h, { label: 'bench-backups', verify: 'direct' });
    const code = `bench-backups-${randomUUID().slice(0, 6)}`;
    await h.platform.db.execute(
      sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers, visibility) values (${code}, 'Backup bench', 2, 512, 1000, 256, 20, 0, 'hidden')`,
    );
    await h.platform.db.execute(sql`update tenants set plan_code = ${code} where id = ${owner.tenantId}`);
    const created = await createInstance(h, owner, { version: '18.0' });
    const instance = await waitForStatus(h, owner, created.id, ['running'], 120_000);
    console.log('filling the database…');
    const fillDbSeconds = await fillDatabase(h, instance.id);
    console.log(`database filled in ${fillDbSeconds} s; filling the filestore…`);
    const fillFsSeconds = await fillFilestore(h, instance.id);
    const dbBytes = await withTenantDb(h.platform, instance.id, (c) =>
      c.query<{ n: string; rows: string }>('select pg_database_size(current_database()) as n, (select count(*) from bench_blob) as rows'),
    );

    console.log('backing up…');
    const asked = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/backups`, { client: owner });
    if (asked.statusCode !== 202) throw new Error(`backup refused: ${asked.body}`);
    const backupId = (asked.json() as BackupDto).id;
    const repo = new BackupsRepository(h.platform.db);
    const backup = await follow(
      () => repo.find(backupId),
      (b) => b?.progress?.step,
      (b) => b?.status === 'completed' || b?.status === 'failed',
    );
    if (backup.value?.status !== 'completed') throw new Error(`backup failed: ${backup.value?.error}`);
    const stored = await h.platform.backupStorage.head(backup.value.storageKey ?? '');

    console.log('restoring in place…');
    const restoreAsked = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restore`, { client: owner, body: { backupId } });
    if (restoreAsked.statusCode !== 202) throw new Error(`restore refused: ${restoreAsked.body}`);
    const restoreId = (restoreAsked.json() as { id: string }).id;
    const restore = await follow(
      () => repo.findRestore(restoreId),
      (r) => r?.progress?.step,
      (r) => r?.status === 'succeeded' || r?.status === 'failed',
    );
    if (restore.value?.status !== 'succeeded') throw new Error(`restore failed: ${restore.value?.error}`);
    const rowsAfter = await withTenantDb(h.platform, instance.id, (c) => c.query<{ n: string }>('select count(*) as n from bench_blob'));
    if (rowsAfter.rows[0]?.n !== dbBytes.rows[0]?.rows) throw new Error('the restored table differs');
    const safetyId = restore.value.safetyBackupId;
    const safety = safetyId ? await repo.find(safetyId) : undefined;

    const b = backup.value;
    const report = {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
        docker: execFileSync('docker', ['version', '--format', '{{.Server.Version}}']).toString().trim(),
        postgres: (await h.platform.db.execute(sql`show server_version`)).rows[0],
        storage: h.platform.config.backups.storage.driver,
        encrypted: true,
      },
      data: {
        databaseBytes: Number(dbBytes.rows[0]?.n),
        rows: Number(dbBytes.rows[0]?.rows),
        filestoreFiles: FILES,
        filestoreBytes: FILES * FILE_MB * MiB,
        fillDatabaseSeconds: fillDbSeconds,
        fillFilestoreSeconds: fillFsSeconds,
      },
      backup: {
        seconds: backup.seconds,
        phases: backup.phases,
        archiveBytes: b.sizeBytes,
        storedBytes: stored?.size,
        dumpBytes: b.databaseBytes,
        filestoreBytes: b.filestoreBytes,
        throughputMiBps: round(((b.databaseBytes ?? 0) + (b.filestoreBytes ?? 0)) / MiB / backup.seconds),
      },
      restore: {
        seconds: restore.seconds,
        phases: restore.phases,
        safetyBackupSeconds:
          safety?.startedAt && safety.completedAt ? seconds(safety.startedAt.getTime(), safety.completedAt.getTime()) : null,
      },
    };
    console.log(JSON.stringify(report, null, 2));
    writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
    // The archives go (several GB); the instance is left to the test purge.
    for (const id of [backupId, safetyId].filter(Boolean)) await call(h.app, 'DELETE', `/api/v1/backups/${id}`, { client: owner });
  } finally {
    await h.close();
  }
}

await main();
process.exit(0);
