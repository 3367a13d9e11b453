import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupsRepository, storageKeyOf } from '../../src/backups/backups.repo.js';
import { backups } from '../../src/backups/backups.tables.js';
import { call, createUser, fakeIp, type Harness, joinTenant, startHarness, type TestUser } from '../harness.js';
import {
  type BackupDto,
  filestoreChecksums,
  type InstanceBackupsDto,
  plantFilestore,
  tableChecksums,
  waitForBackup,
  waitForRestore,
  withTenantDb,
} from '../support/backups.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';

/**
 * Backups and restores through the API with the real engine, PostgreSQL and the Odoo stand-in: what a
 * backup holds, that a restore gives back the same data, downloads, uploads, limits and permissions.
 * (The same round trips with real Odoo are in test/odoo/backups.odoo.test.ts.)
 */

let h: Harness;
let owner: TestUser;
let member: TestUser;
let instance: InstanceDto;

const FILES = { 'ab/ab1234': 'first attachment', 'cd/cd5678': Buffer.alloc(300_000, 7) };

async function backupNow(client: TestUser, instanceId: string): Promise<BackupDto> {
  const res = await call(h.app, 'POST', `/api/v1/instances/${instanceId}/backups`, { client });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as BackupDto;
}

async function download(client: TestUser, backupId: string): Promise<Buffer> {
  const link = await call(h.app, 'POST', `/api/v1/backups/${backupId}/download-link`, { client });
  expect(link.statusCode, link.body).toBe(200);
  const url = new URL((link.json() as { url: string }).url);
  const res = await h.app.inject({ method: 'GET', url: url.pathname + url.search, headers: { 'x-forwarded-for': fakeIp() } });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(res.headers['content-type']).toBe('application/zip');
  return res.rawPayload;
}

let listening: string | undefined;
/** The API on a real socket (for what inject does not show: streamed bodies, event streams), opened once. */
async function address(): Promise<string> {
  listening ??= await h.app.listen({ port: 0, host: '127.0.0.1' });
  return listening;
}

/** Where the backup's archive is in backup storage. */
async function keyOf(backupId: string): Promise<string> {
  const row = await new BackupsRepository(h.platform.db).find(backupId);
  if (!row) throw new Error(`no backup ${backupId}`);
  return storageKeyOf(row);
}

async function upload(client: TestUser, instanceId: string, zip: Buffer) {
  return h.app.inject({
    method: 'POST',
    url: `/api/v1/instances/${instanceId}/backups/upload`,
    headers: { 'x-forwarded-for': client.ip, authorization: `Bearer ${client.token}`, 'content-type': 'application/zip' },
    payload: zip,
  });
}

beforeAll(async () => {
  h = await startHarness();
  owner = await createUser(h, { label: 'backups' });
  member = await createUser(h, { label: 'backups-member' });
  await joinTenant(h, owner, member, 'member');
  const created = await createInstance(h, owner, { version: '18.0' });
  instance = await waitForStatus(h, owner, created.id, ['running'], 120_000);
  await withTenantDb(h.platform, instance.id, async (c) => {
    // As the instance's own role (named like its database), as Odoo would have made it.
    const { rows } = await c.query<{ d: string }>('select current_database() as d');
    await c.query(`set role ${c.escapeIdentifier(rows[0]?.d ?? '')}`);
    await c.query('create table x_notes (id serial primary key, body text not null)');
    await c.query("insert into x_notes (body) select 'note ' || g from generate_series(1, 500) g");
  });
  await plantFilestore(h.platform, instance.id, instance.version === '18.0' ? 'odoo-standin:18.0' : 'odoo-standin:17.0', FILES);
}, 180_000);

afterAll(async () => {
  await h?.close();
});

describe('backups', () => {
  let backup: BackupDto;

  it('backs an instance up while it runs: Odoo’s zip, stored encrypted, with sizes and checksums', async () => {
    backup = await backupNow(owner, instance.id);
    expect(backup).toMatchObject({ kind: 'manual', status: 'queued', instanceId: instance.id });
    backup = await waitForBackup(h, owner, instance.id, backup.id);
    expect(backup.status, backup.error ?? '').toBe('completed');
    expect(backup.filestoreFiles).toBe(2);
    expect(backup.filestoreBytes).toBe(300_000 + 'first attachment'.length);
    expect(backup.sizeBytes).toBeGreaterThan(0);
    // At rest: the operator's key encrypts it (not a zip on disk).
    const storage = h.platform.config.backups.storage;
    const stored = await readFile(join(storage.driver === 'local' ? storage.dir : '', await keyOf(backup.id)));
    expect(stored.subarray(0, 2).toString()).not.toBe('PK');
    const zip = await download(owner, backup.id);
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    expect(zip.length).toBe(backup.sizeBytes);
  });

  it('restores in place: the same table contents and files as when the backup was taken', async () => {
    const before = await tableChecksums(h.platform, instance.id);
    const filesBefore = await filestoreChecksums(h.platform, instance.id, 'odoo-standin:18.0');
    expect(Object.keys(filesBefore)).toHaveLength(2);
    // Change both after the backup.
    await withTenantDb(h.platform, instance.id, (c) => c.query("delete from x_notes where id > 10; update x_notes set body = 'changed'"));
    await plantFilestore(h.platform, instance.id, 'odoo-standin:18.0', { 'ef/new': 'other' });
    expect(await tableChecksums(h.platform, instance.id)).not.toEqual(before);

    const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restore`, { client: owner, body: { backupId: backup.id } });
    expect(res.statusCode, res.body).toBe(202);
    const restore = await waitForRestore(h, owner, instance.id, (res.json() as { id: string }).id);
    expect(restore.status, restore.error ?? '').toBe('succeeded');
    expect(restore.safetyBackupId).toBeTruthy();
    expect(await tableChecksums(h.platform, instance.id)).toEqual(before);
    expect(await filestoreChecksums(h.platform, instance.id, 'odoo-standin:18.0')).toEqual(filesBefore);
    const after = await waitForStatus(h, owner, instance.id, ['running']);
    expect(after.progress).toBeNull();
    // The safety backup holds the state just before the restore.
    const state = (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: owner })).json() as InstanceBackupsDto;
    expect(state.backups.find((b) => b.id === restore.safetyBackupId)).toMatchObject({ kind: 'safety', status: 'completed' });
  });

  it('accepts its own download as an upload, and refuses a zip that is not an Odoo backup with nothing kept', async () => {
    // Uploads share the manual allowance (per UTC day): this test's own, whatever the tests before it used.
    await h.platform.db
      .update(backups)
      .set({ createdAt: new Date(Date.now() - 86_400_000) })
      .where(and(eq(backups.instanceId, instance.id), eq(backups.kind, 'manual')));
    const zip = await download(owner, backup.id);
    const ok = await upload(owner, instance.id, zip);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ kind: 'upload', status: 'completed', filestoreFiles: 2 });

    // Over a real socket too (inject hands bodies over differently): the body streams to disk, never parsed.
    const overHttp = await fetch(`${await address()}/api/v1/instances/${instance.id}/backups/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/zip', 'x-forwarded-for': owner.ip },
      body: new Uint8Array(zip),
    });
    expect(overHttp.status, await overHttp.clone().text()).toBe(201);

    const count = async () => (await h.platform.db.select().from(backups).where(eq(backups.instanceId, instance.id))).length;
    const before = await count();
    const bad = await upload(owner, instance.id, Buffer.from('PK\u0003\u0004 this is not a zip at all'));
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().code).toMatch(/^archive_/);
    expect(await count()).toBe(before);
  });

  it('makes a working copy in a new instance from a backup', async () => {
    const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
      client: owner,
      body: { name: 'Staging', slug: `staging-${Date.now().toString(36)}`, fromBackupId: backup.id },
    });
    expect(res.statusCode, res.body).toBe(202);
    const copy = await waitForStatus(h, owner, (res.json() as InstanceDto).id, ['running', 'failed'], 180_000);
    expect(copy.status, copy.lastError ?? '').toBe('running');
    expect(copy).toMatchObject({ provisionPath: 'backup', sourceBackupId: backup.id, version: instance.version });
    const notes = await withTenantDb(h.platform, copy.id, (c) => c.query('select count(*)::int as n from x_notes'));
    expect(notes.rows[0].n).toBe(500);
    expect(Object.keys(await filestoreChecksums(h.platform, copy.id, 'odoo-standin:18.0')).sort()).toEqual(Object.keys(FILES).sort());
    const uuids = await Promise.all(
      [instance.id, copy.id].map((id) =>
        withTenantDb(h.platform, id, (c) => c.query("select value from ir_config_parameter where key = 'database.uuid'")),
      ),
    );
    expect(uuids[0]?.rows[0]?.value).not.toBe(uuids[1]?.rows[0]?.value);
  });

  it('streams the backups live as Server-Sent Events, ending once nothing runs', async () => {
    const res = await fetch(`${await address()}/api/v1/instances/${instance.id}/backups/events`, {
      headers: { authorization: `Bearer ${member.token}`, 'x-forwarded-for': member.ip },
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    // Nothing is queued or running: one event with the state, then the stream ends.
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('event: '));
    expect(events).toHaveLength(1);
    const [head, data] = (events[0] ?? '').split('\n');
    expect(head).toBe('event: backups');
    const state = JSON.parse((data ?? '').replace(/^data: /, '')) as InstanceBackupsDto;
    expect(state.backups.map((b) => b.id)).toContain(backup.id);
    expect(state.schedule.manualPerDay).toBeGreaterThan(0);
  });

  it('lets members see backups but not take, restore, download or delete them', async () => {
    expect((await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: member })).statusCode).toBe(200);
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/backups`, { client: member })).statusCode).toBe(403);
    expect((await call(h.app, 'POST', `/api/v1/backups/${backup.id}/download-link`, { client: member })).statusCode).toBe(403);
    expect((await call(h.app, 'DELETE', `/api/v1/backups/${backup.id}`, { client: member })).statusCode).toBe(403);
    const outsider = await createUser(h, { label: 'backups-outsider' });
    expect((await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: outsider })).statusCode).toBe(404);
  });

  it('refuses a forged or expired download link', async () => {
    const link = (await call(h.app, 'POST', `/api/v1/backups/${backup.id}/download-link`, { client: owner })).json() as { url: string };
    const url = new URL(link.url);
    const forged = `${url.pathname}?expires=${Number(url.searchParams.get('expires')) + 1}&signature=${url.searchParams.get('signature')}`;
    const res = await h.app.inject({ method: 'GET', url: forged, headers: { 'x-forwarded-for': fakeIp() } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('invalid_download_link');
  });

  it('limits manual backups per day by plan', async () => {
    const state = (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: owner })).json() as InstanceBackupsDto;
    for (let i = state.schedule.manualUsedToday; i < state.schedule.manualPerDay; i++) await backupNow(owner, instance.id);
    const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/backups`, { client: owner });
    expect(res.statusCode, res.body).toBe(429);
    expect(res.json().code).toBe('backup_limit_reached');
  });

  it('lets an owner delete a backup, and its archive goes with it', async () => {
    const key = await keyOf(backup.id);
    expect(await h.platform.backupStorage.head(key)).not.toBeNull();
    expect((await call(h.app, 'DELETE', `/api/v1/backups/${backup.id}`, { client: owner })).statusCode).toBe(204);
    expect(await h.platform.backupStorage.head(key)).toBeNull();
    const state = (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/backups`, { client: owner })).json() as InstanceBackupsDto;
    expect(state.backups.map((b) => b.id)).not.toContain(backup.id);
  });
});
