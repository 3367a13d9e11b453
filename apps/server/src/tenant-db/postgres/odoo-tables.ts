import { randomUUID } from 'node:crypto';
import type pg from 'pg';

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

/** Sets `web.base.url` (a restored database carries the address of where it was made). */
export async function setBaseUrl(client: pg.Client, baseUrl: string) {
  // Unchanged when it is right already: a restore of the instance's own backup leaves its data exactly as backed up.
  const current = await client.query<{ value: string }>("select value from ir_config_parameter where key = 'web.base.url'");
  if (current.rows[0]?.value !== baseUrl) await setParameter(client, 'web.base.url', baseUrl);
}

/** The login of Odoo's administrator (the `base.user_admin` record), which a restored database may have renamed. */
export async function adminLogin(client: pg.Client): Promise<string | null> {
  const known = await client.query<{ t: string | null }>("select to_regclass('ir_model_data')::text as t");
  if (!known.rows[0]?.t) return null;
  const res = await client.query<{ login: string }>(
    "select u.login from res_users u join ir_model_data d on d.res_id = u.id and d.model = 'res.users' where d.module = 'base' and d.name = 'user_admin'",
  );
  return res.rows[0]?.login ?? null;
}

export async function setPasswordHash(client: pg.Client, login: string, hash: string) {
  const res = await client.query('update res_users set password = $1, write_date = now() at time zone $3 where login = $2', [
    hash,
    login,
    'UTC',
  ]);
  if (res.rowCount !== 1) throw new Error(`Odoo user ${login} not found in the database`);
}

/** New uuid and secret (a clone keeps its template's), the base URL and the admin's password, all or nothing. */
export async function personalize(client: pg.Client, input: { baseUrl: string; adminLogin: string; adminPasswordHash: string }) {
  await client.query('begin');
  try {
    await setParameter(client, 'database.uuid', randomUUID());
    await setParameter(client, 'database.secret', randomUUID());
    await setParameter(client, 'database.create_date', new Date().toISOString().replace('T', ' ').slice(0, 19));
    await setParameter(client, 'web.base.url', input.baseUrl);
    await setPasswordHash(client, input.adminLogin, input.adminPasswordHash);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}
