import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import type { BackupDto, InstanceBackupsDto } from '../../src/backups/backups.schemas.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import type { Platform } from '../../src/platform.js';
import { call, type Harness, type TestUser } from '../harness.js';

export type { BackupDto, InstanceBackupsDto };

/** Polls the API until the backup reaches one of the statuses. */
export async function waitForBackup(
  h: Harness,
  client: TestUser,
  instanceId: string,
  backupId: string,
  statuses: BackupDto['status'][] = ['completed', 'failed'],
  timeoutMs = 120_000,
): Promise<BackupDto> {
  const deadline = Date.now() + timeoutMs;
  let last: BackupDto | undefined;
  while (Date.now() < deadline) {
    const res = await call(h.app, 'GET', `/api/v1/instances/${instanceId}/backups`, { client });
    expect(res.statusCode, res.body).toBe(200);
    last = (res.json() as InstanceBackupsDto).backups.find((b) => b.id === backupId);
    if (last && statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`backup ${backupId} did not reach ${statuses.join('/')}; last: ${JSON.stringify(last)}`);
}

/** Polls until the instance's latest restore has finished; returns it. */
export async function waitForRestore(h: Harness, client: TestUser, instanceId: string, restoreId: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last: InstanceBackupsDto['restores'][number] | undefined;
  while (Date.now() < deadline) {
    const res = await call(h.app, 'GET', `/api/v1/instances/${instanceId}/backups`, { client });
    expect(res.statusCode, res.body).toBe(200);
    last = (res.json() as InstanceBackupsDto).restores.find((r) => r.id === restoreId);
    if (last && (last.status === 'succeeded' || last.status === 'failed')) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`restore ${restoreId} did not finish; last: ${JSON.stringify(last)}`);
}

/** A connection to an instance's database with the platform's admin role (tests only: to plant and compare data). */
export async function withTenantDb<T>(platform: Platform, instanceId: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(platform.config.tenantDbAdminUrl);
  url.pathname = `/${instanceNames(platform.config.resourcePrefix, instanceId).db}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A checksum of every table of the database's public schema (rows in a stable order), by table name. */
export function tableChecksums(platform: Platform, instanceId: string): Promise<Record<string, string>> {
  return withTenantDb(platform, instanceId, async (client) => {
    const tables = await client.query<{ t: string }>("select tablename as t from pg_tables where schemaname = 'public' order by 1");
    const out: Record<string, string> = {};
    for (const { t } of tables.rows) {
      const res = await client.query<{ sum: string | null }>(
        `select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as sum from ${pg.escapeIdentifier(t)} x`,
      );
      out[t] = res.rows[0]?.sum ?? '';
    }
    return out;
  });
}

/** SHA-256 of every file of the instance's filestore, by relative path (read out through the engine). */
export async function filestoreChecksums(platform: Platform, instanceId: string, image: string): Promise<Record<string, string>> {
  const names = instanceNames(platform.config.resourcePrefix, instanceId);
  const dir = await mkdtemp(join(tmpdir(), 'filestore-'));
  try {
    await platform.runtime.exportVolumeDir(names.volume, `filestore/${names.db}`, join(dir, 'fs'), image);
    const out: Record<string, string> = {};
    const walk = async (rel: string): Promise<void> => {
      for (const entry of await readdir(join(dir, 'fs', rel), { withFileTypes: true }).catch(() => [])) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path);
        else
          out[path] = createHash('sha256')
            .update(await readFile(join(dir, 'fs', path)))
            .digest('hex');
      }
    };
    await walk('');
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Replaces the instance's filestore with these files (relative path → content). */
export async function plantFilestore(platform: Platform, instanceId: string, image: string, files: Record<string, string | Buffer>) {
  const names = instanceNames(platform.config.resourcePrefix, instanceId);
  const dir = await mkdtemp(join(tmpdir(), 'plant-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await platform.runtime.importVolumeDir(names.volume, `filestore/${names.db}`, dir, image);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
