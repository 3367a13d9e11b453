import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceGroupRole } from '../../src/instances/instance-names.js';
import { PostgresTenantDbServer } from '../../src/tenant-db/postgres/postgres-tenant-db.js';
import type { TenantLogin } from '../../src/tenant-db/tenant-db-server.js';
import { testConfig } from '../test-env.js';

/** dumpDatabase, odooDumpFacts and renameDatabase against the real tenant PostgreSQL. */
const config = testConfig();
const server = new PostgresTenantDbServer(config.tenantDbAdminUrl, instanceGroupRole(config.resourcePrefix));
const tag = randomBytes(4).toString('hex');
const name = (s: string) => `${config.resourcePrefix}_dumpt_${tag}_${s}`;
// A password with the characters a pgpass file must escape.
const login: TenantLogin = { role: name('role'), password: `p:w\\${randomBytes(9).toString('hex')}:` };
const db = name('db');
let work: string;

async function asTenant<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(config.tenantDbAdminUrl);
  url.pathname = `/${database}`;
  url.username = encodeURIComponent(login.role);
  url.password = encodeURIComponent(login.password);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Pids of this user's processes whose command line mentions `needle` (read from /proc). */
async function processesWith(needle: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const found: string[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(pid);
  }
  return found;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tenant-dump-'));
  await server.ensureRole(login.role, login.password);
  await server.ensureDatabase(db, login.role);
  await asTenant(db, async (c) => {
    await c.query('create table notes (id int primary key, body text)');
    await c.query("insert into notes values (1, 'first row'), (2, 'second row')");
    await c.query('create table ir_module_module (id serial primary key, name varchar not null, state varchar, latest_version varchar)');
    await c.query(
      "insert into ir_module_module (name, state, latest_version) values ('base', 'installed', '17.0.1.3'), ('web', 'installed', null), ('sale', 'uninstalled', '17.0.1.0')",
    );
  });
});

afterAll(async () => {
  for (const d of [db, name('renamed'), name('other')]) await server.dropDatabase(d);
  await server.dropRole(login.role);
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('dumpDatabase', () => {
  it('dumps as the instance role, plain SQL with the rows and no owners or grants, no password file left', async () => {
    const before = new Set(await readdir(tmpdir()));
    const out = join(work, 'dump.sql');
    const { bytes } = await server.dumpDatabase(db, login, out);
    const sql = await readFile(out, 'utf8');
    expect(bytes).toBe(Buffer.byteLength(sql));
    expect(sql).toMatch(/COPY public\.notes \(id, body\) FROM stdin;\n1\tfirst row\n2\tsecond row\n\\\.\n/);
    expect(sql).not.toMatch(/OWNER TO|^GRANT|^REVOKE/m);
    const left = (await readdir(tmpdir())).filter((f) => f.startsWith('saas-pgpass-') && !before.has(f));
    expect(left).toEqual([]);
  });

  it('fails with pg_dump’s own message (and no password) on a wrong password or a missing database', async () => {
    const wrong = { role: login.role, password: 'not-the-password' };
    const err = await server.dumpDatabase(db, wrong, join(work, 'wrong.sql')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/password authentication failed|no password supplied/);
    expect((err as Error).message).not.toContain(login.password);
    await expect(server.dumpDatabase(name('absent'), login, join(work, 'absent.sql'))).rejects.toThrow(/does not exist|failed/);
  });

  it('kills pg_dump when aborted while it runs', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(server.dumpDatabase(db, login, join(work, 'early.sql'), controller.signal)).rejects.toThrow(/abort/i);

    // pg_dump waits for the table lock another session holds, until the abort kills it.
    const url = new URL(config.tenantDbAdminUrl);
    url.pathname = `/${db}`;
    const holder = new pg.Client({ connectionString: url.toString() });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table notes in access exclusive mode');
      const running = new AbortController();
      const started = Date.now();
      const dump = server.dumpDatabase(db, login, join(work, 'aborted.sql'), running.signal);
      setTimeout(() => running.abort(), 1000);
      await expect(dump).rejects.toThrow(/abort/i);
      expect(Date.now() - started).toBeLessThan(5000);
      // No pg_dump of this file is left running (its server session waits for the lock until the rollback).
      expect(await processesWith(join(work, 'aborted.sql'))).toEqual([]);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
  });
});

describe('odooDumpFacts', () => {
  it('lists installed modules with their versions and the server version', async () => {
    const facts = await server.odooDumpFacts(db, login);
    expect(facts.modules).toEqual({ base: '17.0.1.3', web: null });
    expect(facts.serverVersionNum).toBeGreaterThanOrEqual(120000);
  });
});

describe('renameDatabase', () => {
  it('renames (closing sessions), is quiet when already done, refuses when both exist', async () => {
    const renamed = name('renamed');
    // An open session of the tenant's own does not block the rename.
    const url = new URL(config.tenantDbAdminUrl);
    url.pathname = `/${db}`;
    const session = new pg.Client({ connectionString: url.toString() });
    session.on('error', () => {});
    await session.connect();
    await server.renameDatabase(db, renamed);
    await session.end().catch(() => undefined);
    expect(await server.databaseExists(db)).toBe(false);
    expect(await server.databaseExists(renamed)).toBe(true);
    expect(await asTenant(renamed, async (c) => (await c.query('select count(*)::int as n from notes')).rows[0].n)).toBe(2);

    await server.renameDatabase(db, renamed);
    await server.ensureDatabase(name('other'), login.role);
    await expect(server.renameDatabase(renamed, name('other'))).rejects.toThrow(/both exist/);
    // Back, so the other tests' names stay valid in any order.
    await server.renameDatabase(renamed, db);
  });
});
