import pg from 'pg';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import type { Harness } from '../harness.js';

/** Odoo's system parameters with these keys, read by the test as the tenant server's admin (the platform never reads them). */
export async function readOdooParameters(adminUrl: string, db: string, keys: string[]): Promise<Record<string, string>> {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(db)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const res = await client.query('select key, value from ir_config_parameter where key = any($1)', [keys]);
    return Object.fromEntries((res.rows as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  } finally {
    await client.end();
  }
}

/** A connection to an instance's database as the tenant: its own role, as its Odoo (or a shell in its container) has it. */
export async function connectAsInstance(h: Harness, instanceId: string): Promise<pg.Client> {
  const { config } = h.platform;
  const names = instanceNames(config.resourcePrefix, instanceId);
  const row = await h.platform.instances.get(instanceId);
  const url = new URL(config.tenantDbAdminUrl);
  url.username = names.role;
  url.password = decrypt(config.encryptionKey, row.dbPassword, secretContext.instanceDbPassword(instanceId));
  url.pathname = `/${names.db}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/**
 * What a hostile tenant would plant on res_users: a trigger that records who runs it, tries to become the
 * session's login role again (`RESET ROLE`) and to use the platform's powers (CREATE ROLE `probeRole`, a
 * harmless name the test then looks for).
 */
export async function plantSpyTrigger(tenant: pg.Client, probeRole: string): Promise<void> {
  await tenant.query('create table spy_log (cur text, sess text, escalated boolean)');
  await tenant.query(`
    create function spy() returns trigger language plpgsql as $fn$
    begin
      begin execute 'reset role'; exception when others then null; end;
      begin
        execute format('create role %I', ${pg.escapeLiteral(probeRole)});
        insert into spy_log values (current_user, session_user, true);
      exception when others then
        insert into spy_log values (current_user, session_user, false);
      end;
      return new;
    end $fn$`);
  await tenant.query('create trigger spy before update on res_users for each row execute function spy()');
}

export async function spyLog(tenant: pg.Client) {
  return (await tenant.query('select cur, sess, escalated from spy_log')).rows as { cur: string; sess: string; escalated: boolean }[];
}

/** Whether a role exists on the tenants' server; `drop` removes it (test clean-up). */
export async function roleOnServer(adminUrl: string, role: string, drop = false): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = (await admin.query('select 1 from pg_roles where rolname = $1', [role])).rowCount === 1;
    if (drop) await admin.query(`drop role if exists ${pg.escapeIdentifier(role)}`);
    return found;
  } finally {
    await admin.end();
  }
}
