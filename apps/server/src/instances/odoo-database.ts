import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { TenantDbServer } from '../tenant-db/tenant-db-server.js';
import { odooPasswordHash } from './odoo-password.js';

/**
 * Odoo-specific changes made directly in an instance's database, as Odoo itself stores them.
 * Table and column names are Odoo's (ir_config_parameter, res_users).
 */

async function setParameter(client: pg.Client, key: string, value: string) {
  const updated = await client.query('update ir_config_parameter set value = $2, write_date = now() at time zone $3 where key = $1', [
    key,
    value,
    'UTC',
  ]);
  if (updated.rowCount === 0) {
    await client.query(
      'insert into ir_config_parameter (key, value, create_date, write_date) values ($1, $2, now() at time zone $3, now() at time zone $3)',
      [key, value, 'UTC'],
    );
  }
}

async function setAdminPasswordHash(client: pg.Client, login: string, hash: string) {
  const res = await client.query('update res_users set password = $1, write_date = now() at time zone $3 where login = $2', [
    hash,
    login,
    'UTC',
  ]);
  if (res.rowCount !== 1) throw new Error(`Odoo user ${login} not found in the database`);
}

/**
 * Makes a freshly cloned or initialized database this instance's own: a clone keeps the template's
 * `database.uuid` and `database.secret` (Odoo signs sessions with the secret), so both are regenerated.
 */
export async function personalizeOdooDatabase(
  tenantDb: TenantDbServer,
  db: string,
  input: { baseUrl: string; adminLogin: string; adminPasswordHash: string },
) {
  await tenantDb.withDatabase(db, async (client) => {
    await client.query('begin');
    try {
      await setParameter(client, 'database.uuid', randomUUID());
      await setParameter(client, 'database.secret', randomUUID());
      await setParameter(client, 'database.create_date', new Date().toISOString().replace('T', ' ').slice(0, 19));
      await setParameter(client, 'web.base.url', input.baseUrl);
      await setAdminPasswordHash(client, input.adminLogin, input.adminPasswordHash);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  });
}

export async function setOdooAdminPassword(tenantDb: TenantDbServer, db: string, login: string, password: string) {
  const hash = await odooPasswordHash(password);
  return tenantDb.withDatabase(db, (client) => setAdminPasswordHash(client, login, hash));
}

/** Reads parameters back (tests and diagnostics). */
export function readOdooParameters(tenantDb: TenantDbServer, db: string, keys: string[]) {
  return tenantDb.withDatabase(db, async (client) => {
    const res = await client.query('select key, value from ir_config_parameter where key = any($1)', [keys]);
    return Object.fromEntries((res.rows as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  });
}
