import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { loadDump, neutralizeDatabase, psqlLoadSpec, RESTORE_STAGING_DIR } from '../../src/backups/odoo-sandbox.js';
import type { InstanceOpsDeps } from '../../src/instances/instance-context.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import type { InstanceRow } from '../../src/instances/instances.repo.js';
import { PermanentStepError } from '../../src/jobs/workflow.js';
import type { TenantLogin } from '../../src/tenant-db/tenant-db-server.js';
import { createUser, type Harness, startHarness } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';

/*
 * Loading a dump and neutralizing a database inside the instance's own sandbox, with the stand-in image (its
 * real psql binary and its `odoo neutralize`), a provisioned instance, and the real tenant PostgreSQL.
 */
let h: Harness;
let deps: InstanceOpsDeps;
let instance: InstanceRow;
let login: TenantLogin;
let work: string;
/** The provisioned database, moved aside: what the tests dump and compare with. */
let original: string;
let sourceDump: string;

const names = () => instanceNames(h.platform.config.resourcePrefix, instance.id);

/** The instance's database name, empty again (the sandbox reaches no other: pg_hba's `sameuser`). */
async function freshDb() {
  await deps.tenantDb.dropDatabase(names().db);
  await deps.tenantDb.ensureDatabase(names().db, login.role);
  return names().db;
}

async function query<T extends pg.QueryResultRow>(db: string, sql: string): Promise<T[]> {
  const url = new URL(h.platform.config.tenantDbAdminUrl);
  url.username = encodeURIComponent(login.role);
  url.password = encodeURIComponent(login.password);
  url.pathname = `/${db}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  const owner = await createUser(h, { label: 'sandbox' });
  const created = await createInstance(h, owner);
  await waitForStatus(h, owner, created.id, ['running']);
  const { config, database, runtime, tenantDb, backupStorage, edge, redis, log } = h.platform;
  deps = { config, database, runtime, tenantDb, backupStorage, edge, redis, log };
  instance = await h.platform.instances.get(created.id);
  login = {
    role: names().role,
    password: decrypt(config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id)),
  };
  work = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
  // As a restore does: Odoo stopped, its database dumped and moved aside, a fresh one of the same name loaded.
  await runtime.stopContainer(names().container);
  sourceDump = join(work, 'source.sql');
  await tenantDb.dumpDatabase(names().db, login, sourceDump);
  original = `${names().db}_orig`;
  await tenantDb.renameDatabase(names().db, original);
}, 240_000);

afterAll(async () => {
  if (original) {
    await deps.tenantDb.dropDatabase(names().db).catch(() => undefined);
    await deps.tenantDb.renameDatabase(original, names().db).catch(() => undefined);
  }
  await rm(work, { recursive: true, force: true });
  await h?.close();
});

async function stagingIsEmpty() {
  const out = await mkdtemp(join(work, 'staging-'));
  return deps.runtime.exportVolumeDir(names().volume, RESTORE_STAGING_DIR, out, instance.image);
}

describe('loadDump', () => {
  it("loads a pg_dump of the instance's database into a fresh one, then empties the staging area", async () => {
    const target = await freshDb();
    await loadDump(deps, instance, target, sourceDump);
    const logins = (db: string) => query<{ login: string }>(db, 'select login from res_users order by login');
    expect(await logins(target)).toEqual(await logins(original));
    expect((await logins(target)).length).toBeGreaterThan(0);
    expect(await stagingIsEmpty()).toEqual({ found: true, files: 0, bytes: 0, skipped: [] });
  });

  it('keeps the password out of the environment and command line of the one-off', async () => {
    const spec = await psqlLoadSpec(deps, instance, 'any');
    expect(JSON.stringify([spec.env, spec.command, spec.entrypoint])).not.toContain(login.password);
    expect(spec.files).toEqual([expect.objectContaining({ mode: 0o600, uid: 101 })]);
    expect(spec.files[0]?.content).toContain(login.password);
    expect(spec.readOnlyRootfs).toBe(true);
    expect(spec.mounts.every((m) => m.readOnly)).toBe(true);
  });

  it('stops at the first error and leaves nothing of the dump behind (one transaction)', async () => {
    const target = await freshDb();
    const dump = join(work, 'broken.sql');
    await writeFile(dump, 'create table half_done (id int);\ninsert into half_done values (1);\nselect * from no_such_table;\n');
    const err = await loadDump(deps, instance, target, dump).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentStepError);
    expect((err as Error).message).toMatch(/no_such_table/);
    expect(await query(target, "select to_regclass('half_done') as t")).toEqual([{ t: null }]);
    expect(await stagingIsEmpty()).toMatchObject({ files: 0 });
  });

  it("runs a dump's meta-commands inside the sandbox, never on the worker's host", async () => {
    const tag = randomBytes(6).toString('hex');
    const marks = ['shell', 'out', 'copy'].map((k) => `/tmp/pwned-${k}-${tag}`);
    const target = await freshDb();
    const dump = join(work, 'hostile.sql');
    await writeFile(
      dump,
      [
        'create table t (v text);',
        "insert into t values ('x');",
        `\\copy t to '${marks[2]}'`,
        `\\o ${marks[1]}`,
        'select 1;',
        '\\o',
        `\\! touch ${marks[0]}`,
        '',
      ].join('\n'),
    );
    const outcome = await loadDump(deps, instance, target, dump).then(
      () => 'loaded',
      (e: unknown) => e,
    );
    // The stand-in has no shell: `\!` fails and ON_ERROR_STOP ends the load; either way the host is untouched.
    if (outcome !== 'loaded') expect(outcome).toBeInstanceOf(PermanentStepError);
    for (const mark of marks) expect(existsSync(mark), mark).toBe(false);
  });
});

describe('neutralizeDatabase', () => {
  it("runs the image's `odoo neutralize`: mail servers and crons off, the database flagged", async () => {
    const target = await freshDb();
    await loadDump(deps, instance, target, sourceDump);
    // Tables of a real Odoo the stand-in's `-i base` does not create, as a restored production database has them.
    await query(
      target,
      `create table ir_mail_server (id serial primary key, name varchar, active boolean);
       insert into ir_mail_server (name, active) values ('smtp.example.com', true);
       create table ir_cron (id serial primary key, name varchar, active boolean);
       insert into ir_cron (name, active) values ('Mail: send', true), ('Digest', true);`,
    );
    await neutralizeDatabase(deps, instance, target);
    expect(await query(target, 'select bool_or(active) as on from ir_mail_server')).toEqual([{ on: false }]);
    expect(await query(target, 'select bool_or(active) as on from ir_cron')).toEqual([{ on: false }]);
    expect(await query(target, "select value from ir_config_parameter where key = 'database.is_neutralized'")).toEqual([{ value: 'true' }]);
    // Only the restored copy is.
    expect(await query(original, "select count(*)::int as n from ir_config_parameter where key = 'database.is_neutralized'")).toEqual([
      { n: 0 },
    ]);
  });

  it('fails with the command output when the database is not there; refuses any database but its own', async () => {
    await deps.tenantDb.dropDatabase(names().db);
    const err = await neutralizeDatabase(deps, instance, names().db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentStepError);
    expect((err as Error).message).toMatch(/NOT NEUTRALIZED/);
    await expect(neutralizeDatabase(deps, instance, original)).rejects.toThrow(/only its own database/);
    await expect(loadDump(deps, instance, original, sourceDump)).rejects.toThrow(/only its own database/);
  });
});
