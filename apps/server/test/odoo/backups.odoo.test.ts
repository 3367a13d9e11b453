import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backups } from '../../src/backups/backups.tables.js';
import { call, createUser, fakeIp, type Harness, startHarness, type TestUser } from '../harness.js';
import { type BackupDto, filestoreChecksums, tableChecksums, waitForBackup, waitForRestore, withTenantDb } from '../support/backups.js';
import { createInstance, type InstanceDto, odooPort, uniqueSlug, waitForStatus } from '../support/instances.js';
import { dbOf, type HostileKind, hostileZip, odooLogin, type StockOdoo, startStockOdoo } from './backup-archives.js';
import { odooEnv } from './odoo-env.js';
import { revealCredentials, usePlan } from './odoo-support.js';

/**
 * Backups and restores of real Odoo 18.0 through the API, with the real engine and PostgreSQL: a restore
 * gives back every table and file, a copy in a new instance is a working and neutralised Odoo, the
 * download is accepted by the platform and by a stock Odoo's own database manager (and a stock Odoo's
 * backup by the platform), and hostile archives change nothing. Two instances serve every case, in order.
 */

const VERSION = '18.0';
const IMAGE = 'odoo-local:18.0';

/**
 * No table is left out of the comparisons: every Odoo request of the test (logins write res_users_log) comes
 * before the checksums it is compared with, and the instance runs base only, whose scheduled actions are not
 * due during the run (bus and presence tables stay empty without a browser). A difference means the restore,
 * or an upload that was refused, changed the data.
 */
/** Every table (those of either side) has the same checksum; the failure names the tables that differ. */
function expectSameTables(after: Record<string, string>, before: Record<string, string>) {
  const tables = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  expect(tables.length).toBeGreaterThan(100);
  expect(
    tables.filter((t) => before[t] !== after[t]),
    'tables that differ',
  ).toEqual([]);
}

let h: Harness;
let owner: TestUser;
let source: InstanceDto;
let credentials: { login: string; password: string };
let backup: BackupDto;
let copy: InstanceDto | undefined;
let stock: StockOdoo | undefined;
const ATTACHMENTS = [
  { name: 'note.txt', datas: Buffer.from('an attachment of real Odoo').toString('base64') },
  { name: 'blob.bin', datas: Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251)).toString('base64') },
];
const timings: string[] = [];

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  timings.push(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const portOf = async (instanceId: string) => odooPort(h, (await h.platform.instances.get(instanceId)).slot);

async function backupNow(instanceId: string) {
  const res = await call(h.app, 'POST', `/api/v1/instances/${instanceId}/backups`, { client: owner });
  expect(res.statusCode, res.body).toBe(202);
  const done = await waitForBackup(h, owner, instanceId, (res.json() as BackupDto).id, ['completed', 'failed'], 180_000);
  expect(done.status, done.error ?? '').toBe('completed');
  return done;
}

async function restoreInPlace(instanceId: string, backupId: string) {
  const res = await call(h.app, 'POST', `/api/v1/instances/${instanceId}/restore`, { client: owner, body: { backupId } });
  expect(res.statusCode, res.body).toBe(202);
  const restore = await waitForRestore(h, owner, instanceId, (res.json() as { id: string }).id, 240_000);
  expect(restore.status, restore.error ?? '').toBe('succeeded');
  await waitForStatus(h, owner, instanceId, ['running'], 120_000);
  return restore;
}

async function download(backupId: string): Promise<Buffer> {
  const link = await call(h.app, 'POST', `/api/v1/backups/${backupId}/download-link`, { client: owner });
  expect(link.statusCode, link.body).toBe(200);
  const url = new URL((link.json() as { url: string }).url);
  const res = await h.app.inject({ method: 'GET', url: url.pathname + url.search, headers: { 'x-forwarded-for': fakeIp() } });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.rawPayload;
}

const upload = (instanceId: string, zip: Buffer) =>
  h.app.inject({
    method: 'POST',
    url: `/api/v1/instances/${instanceId}/backups/upload`,
    headers: { 'x-forwarded-for': owner.ip, authorization: `Bearer ${owner.token}`, 'content-type': 'application/zip' },
    payload: zip,
  });

/** The attachments' names and contents as the Odoo on `port` serves them to the source's administrator. */
async function readAttachments(port: number, db: string, login = credentials.login, password = credentials.password) {
  const odoo = await odooLogin(port, db, login, password);
  const rows = await odoo.call<{ name: string; datas: string }[]>(
    'ir.attachment',
    'search_read',
    [[['name', 'in', ATTACHMENTS.map((a) => a.name)]]],
    { fields: ['name', 'datas'], order: 'name' },
  );
  return rows.map((r) => ({ name: r.name, datas: r.datas }));
}

const expectedAttachments = () => [...ATTACHMENTS].sort((a, b) => a.name.localeCompare(b.name));

async function params(instanceId: string, keys: string[]) {
  return withTenantDb(h.platform, instanceId, async (c) => {
    const { rows } = await c.query<{ key: string; value: string }>('select key, value from ir_config_parameter where key = any($1)', [
      keys,
    ]);
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  });
}

beforeAll(async () => {
  h = await startHarness({ env: odooEnv(), workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'odoo-backups', verify: 'direct' });
  await usePlan(h, owner, { code: 'odoo-backups', memoryMb: 1024, workers: 0 });
  const created = await createInstance(h, owner, { version: VERSION });
  source = await timed('provision source', () => waitForStatus(h, owner, created.id, ['running', 'failed'], 240_000));
  expect(source.status, source.lastError ?? '').toBe('running');
  credentials = await revealCredentials(h, owner, source.id);
  // Attachments made by Odoo itself, so the filestore holds Odoo's own files.
  const odoo = await odooLogin(await portOf(source.id), dbOf(h.platform, source.id), credentials.login, credentials.password);
  for (const a of ATTACHMENTS) await odoo.call('ir.attachment', 'create', [a]);
});

afterAll(async () => {
  await stock?.stop();
  await h?.close();
  console.log(`[backups on real Odoo ${VERSION}] ${timings.join('; ')}`);
});

describe(`backups and restores of real Odoo ${VERSION}`, () => {
  let tablesAtBackup: Record<string, string>;
  let filesAtBackup: Record<string, string>;

  it('backs up and restores in place: every table and every file as they were', async () => {
    filesAtBackup = await filestoreChecksums(h.platform, source.id, IMAGE);
    expect(Object.keys(filesAtBackup).length).toBeGreaterThanOrEqual(ATTACHMENTS.length);
    // Nothing reaches Odoo between these checksums and the backup.
    tablesAtBackup = await tableChecksums(h.platform, source.id);
    backup = await timed('backup', () => backupNow(source.id));

    // Changes after the backup, made through Odoo: one attachment gone, another added, a partner renamed.
    const port = await portOf(source.id);
    const odoo = await odooLogin(port, dbOf(h.platform, source.id), credentials.login, credentials.password);
    const [first] = await odoo.call<number[]>('ir.attachment', 'search', [[['name', '=', 'note.txt']]]);
    await odoo.call('ir.attachment', 'unlink', [[first]]);
    await odoo.call('ir.attachment', 'create', [{ name: 'later.txt', datas: Buffer.from('after the backup').toString('base64') }]);
    await odoo.call('res.partner', 'write', [[1], { name: 'Renamed after the backup' }]);
    expect(await tableChecksums(h.platform, source.id)).not.toEqual(tablesAtBackup);
    expect(await filestoreChecksums(h.platform, source.id, IMAGE)).not.toEqual(filesAtBackup);

    const restore = await timed('restore in place', () => restoreInPlace(source.id, backup.id));
    expect(restore.safetyBackupId).toBeTruthy();
    // Before any request reaches the restarted Odoo.
    expectSameTables(await tableChecksums(h.platform, source.id), tablesAtBackup);
    expect(await filestoreChecksums(h.platform, source.id, IMAGE)).toEqual(filesAtBackup);
    expect(await readAttachments(port, dbOf(h.platform, source.id))).toEqual(expectedAttachments());
  });

  it('restores into a new instance: a working, neutralised Odoo with a uuid and secret of its own', async () => {
    const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
      client: owner,
      body: { name: 'Staging', slug: uniqueSlug('staging'), fromBackupId: backup.id },
    });
    expect(res.statusCode, res.body).toBe(202);
    copy = await timed('restore into a new instance', () =>
      waitForStatus(h, owner, (res.json() as InstanceDto).id, ['running', 'failed'], 300_000),
    );
    expect(copy.status, copy.lastError ?? '').toBe('running');
    expect(copy).toMatchObject({ provisionPath: 'backup', sourceBackupId: backup.id, version: VERSION });

    const revealed = await revealCredentials(h, owner, copy.id);
    expect(revealed.login).toBe(credentials.login);
    expect(revealed.password).not.toBe(credentials.password);
    const port = await portOf(copy.id);
    expect(await readAttachments(port, dbOf(h.platform, copy.id), revealed.login, revealed.password)).toEqual(expectedAttachments());
    // The source's password does not open the copy: it has its own.
    await expect(odooLogin(port, dbOf(h.platform, copy.id), credentials.login, credentials.password)).rejects.toThrow(/login/);

    const keys = ['database.uuid', 'database.secret', 'database.is_neutralized'];
    const [of, to] = [await params(source.id, keys), await params(copy.id, keys)];
    expect(to['database.uuid']).toBeTruthy();
    expect(to['database.secret']).toBeTruthy();
    expect(to['database.uuid']).not.toBe(of['database.uuid']);
    expect(to['database.secret']).not.toBe(of['database.secret']);
    expect(to['database.is_neutralized']).toBe('true');
    expect(of['database.is_neutralized']).toBeUndefined();
    await withTenantDb(h.platform, copy.id, async (c) => {
      // Odoo's neutralize: only base's autovacuum stays scheduled, and mail goes to a server that cannot send.
      const crons = await c.query(
        "select d.name from ir_cron c left join ir_model_data d on d.model = 'ir.cron' and d.res_id = c.id where c.active",
      );
      expect(crons.rows).toEqual([{ name: 'autovacuum_job' }]);
      const servers = await c.query('select smtp_host from ir_mail_server where active');
      expect(servers.rows).toEqual([{ smtp_host: 'invalid' }]);
    });
  });

  it('accepts its own download as an upload, and restores it', async () => {
    const zip = await download(backup.id);
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const res = await upload(source.id, zip);
    expect(res.statusCode, res.body).toBe(201);
    const uploaded = res.json() as BackupDto;
    expect(uploaded).toMatchObject({ kind: 'upload', status: 'completed', filestoreFiles: backup.filestoreFiles });
    await timed('restore of the uploaded download', () => restoreInPlace(source.id, uploaded.id));
    expectSameTables(await tableChecksums(h.platform, source.id), tablesAtBackup);
    expect(await filestoreChecksums(h.platform, source.id, IMAGE)).toEqual(filesAtBackup);
    expect(await readAttachments(await portOf(source.id), dbOf(h.platform, source.id))).toEqual(expectedAttachments());
  });

  it("is portable both ways with a stock Odoo's own database manager", async () => {
    stock = await timed('stock Odoo start', () => startStockOdoo(h.platform, IMAGE));
    const zip = await download(backup.id);
    const form = new FormData();
    form.set('master_pwd', stock.masterPassword);
    form.set('name', stock.db);
    form.set('copy', 'true');
    form.set('backup_file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'backup.zip');
    const restored = await timed('stock Odoo restore', () =>
      fetch(`http://127.0.0.1:${stock?.port}/web/database/restore`, { method: 'POST', body: form, redirect: 'manual' }),
    );
    const page = await restored.text();
    // Odoo answers a success with a redirect to the manager, a failure with the manager page and its error.
    expect(restored.status, page.slice(0, 2000)).toBe(303);
    expect(await readAttachments(stock.port, stock.db)).toEqual(expectedAttachments());

    const body = new URLSearchParams({ master_pwd: stock.masterPassword, name: stock.db, backup_format: 'zip' });
    const dumped = await timed('stock Odoo backup', () =>
      fetch(`http://127.0.0.1:${stock?.port}/web/database/backup`, { method: 'POST', body }),
    );
    const stockZip = Buffer.from(await dumped.arrayBuffer());
    expect(dumped.status, stockZip.subarray(0, 500).toString()).toBe(200);
    expect(stockZip.subarray(0, 2).toString()).toBe('PK');

    if (!copy) throw new Error('the copy of the previous case is missing');
    const res = await upload(copy.id, stockZip);
    expect(res.statusCode, res.body).toBe(201);
    await timed("restore of the stock Odoo's backup", () => restoreInPlace(copy?.id ?? '', (res.json() as BackupDto).id));
    // The stock Odoo's database came from the source's backup: the source's administrator logs in.
    expect(await readAttachments(await portOf(copy.id), dbOf(h.platform, copy.id))).toEqual(expectedAttachments());
  });

  it.each<[HostileKind, string]>([
    ['traversal', 'archive_path_unsafe'],
    ['filestore-traversal', 'archive_path_unsafe'],
    ['symlink', 'archive_entry_not_regular'],
    ['bomb', 'archive_ratio_exceeded'],
    ['wrong-version', 'archive_version_incompatible'],
  ])('refuses a hostile archive (%s) with problem details (%s), and nothing changes', async (kind, code) => {
    const zip = await hostileZip(await download(backup.id), kind);
    const count = async () => (await h.platform.db.select().from(backups).where(eq(backups.instanceId, source.id))).length;
    const rowsBefore = await count();
    const tablesBefore = await tableChecksums(h.platform, source.id);
    const res = await upload(source.id, zip);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe(code);
    expect(await count()).toBe(rowsBefore);
    expectSameTables(await tableChecksums(h.platform, source.id), tablesBefore);
    expect((await h.platform.instances.get(source.id)).status).toBe('running');
    expect(await readAttachments(await portOf(source.id), dbOf(h.platform, source.id))).toEqual(expectedAttachments());
  });
});
