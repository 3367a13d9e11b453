import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { loadDump, neutralizeDatabase } from '../../src/backups/odoo-sandbox.js';
import type { InstanceOpsDeps } from '../../src/instances/instance-context.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { odooEnv, odooVersions } from './odoo-env.js';
import { usePlan } from './odoo-support.js';

/**
 * The restore sandbox with real Odoo (each version under test): a pg_dump of a real database loaded by the image's own psql into a
 * fresh database of the instance's name, then Odoo's own `odoo neutralize` run on it. (The full backup and
 * restore round trips live with the backup jobs' tests.)
 */
let h: Harness;
let owner: TestUser;
let work: string;

beforeAll(async () => {
  h = await startHarness({ env: odooEnv(), workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'odoo-sandbox', verify: 'direct' });
  await usePlan(h, owner, { code: 'odoo-sandbox', memoryMb: 1024, workers: 0 });
  work = await mkdtemp(join(tmpdir(), 'odoo-sandbox-'));
});
afterAll(async () => {
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(odooVersions())('restore sandbox on real Odoo %s', (version) => {
  it('loads a dump with the image’s psql and neutralizes it with `odoo neutralize`', async () => {
    const created = await createInstance(h, owner, { version });
    const running = await waitForStatus(h, owner, created.id, ['running', 'failed'], 240_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    const { config, database, runtime, tenantDb, backupStorage, edge, redis, log } = h.platform;
    const deps: InstanceOpsDeps = { config, database, runtime, tenantDb, backupStorage, edge, redis, log };
    const instance = await h.platform.instances.get(created.id);
    const names = instanceNames(config.resourcePrefix, instance.id);
    const login = {
      role: names.role,
      password: decrypt(config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id)),
    };
    const query = async (sql: string) => {
      const url = new URL(config.tenantDbAdminUrl);
      url.username = encodeURIComponent(login.role);
      url.password = encodeURIComponent(login.password);
      url.pathname = `/${names.db}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };

    // A mail server and an active cron, as in a production database.
    await query(
      "insert into ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, smtp_authentication, active) values ('prod', 'smtp.example.com', 587, 'starttls', 'login', true)",
    );
    await runtime.stopContainer(names.container);
    const dump = join(work, 'dump.sql');
    await tenantDb.dumpDatabase(names.db, login, dump);
    await tenantDb.renameDatabase(names.db, `${names.db}_prev`);
    await tenantDb.ensureDatabase(names.db, names.role);

    await loadDump(deps, instance, names.db, dump);
    expect(await query("select name, active from ir_mail_server where name = 'prod'")).toEqual([{ name: 'prod', active: true }]);
    expect((await query('select count(*)::int as n from ir_cron where active'))[0].n).toBeGreaterThan(1);

    await neutralizeDatabase(deps, instance, names.db);
    expect(await query("select value from ir_config_parameter where key = 'database.is_neutralized'")).toEqual([{ value: 'true' }]);
    const servers = await query('select name, smtp_host, active from ir_mail_server order by id');
    expect(servers).toEqual([
      { name: 'prod', smtp_host: 'smtp.example.com', active: false },
      { name: 'neutralization - disable emails', smtp_host: 'invalid', active: true },
    ]);
    // Only base's autovacuum cron stays on.
    const crons = await query(
      "select d.name from ir_cron c left join ir_model_data d on d.model = 'ir.cron' and d.res_id = c.id where c.active",
    );
    expect(crons).toEqual([{ name: 'autovacuum_job' }]);
  });
});
