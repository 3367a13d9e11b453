import type pg from 'pg';
import { ident } from './identifiers.js';

const RELATION_KEYWORD: Record<string, string> = {
  r: 'TABLE',
  p: 'TABLE',
  v: 'VIEW',
  m: 'MATERIALIZED VIEW',
  S: 'SEQUENCE',
  f: 'FOREIGN TABLE',
};

/**
 * Gives every object owned by `fromRole` in the database `client` is connected to to `toRole`. Done object by
 * object in that database: `REASSIGN OWNED` would also move shared objects such as the template database itself.
 */
export async function transferObjects(client: pg.Client, fromRole: string, toRole: string): Promise<number> {
  const res = await client.query(
    `select c.oid::regclass::text as name, c.relkind
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relowner = (select oid from pg_roles where rolname = $1)
        and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
        -- sequences owned by a table column follow their table
        and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))`,
    [fromRole],
  );
  const owner = ident(toRole);
  // Names come from the catalog, quoted by regclass/regprocedure/regtype; the role through ident().
  const statements = (res.rows as { name: string; relkind: string }[]).map(
    (row) => `ALTER ${RELATION_KEYWORD[row.relkind]} ${row.name} OWNER TO ${owner}`,
  );
  const routines = await client.query(
    `select p.oid::regprocedure::text as sig, p.prokind from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.proowner = (select oid from pg_roles where rolname = $1) and n.nspname not in ('pg_catalog', 'information_schema')`,
    [fromRole],
  );
  for (const row of routines.rows as { sig: string; prokind: string }[]) {
    const kind = row.prokind === 'p' ? 'PROCEDURE' : row.prokind === 'a' ? 'AGGREGATE' : 'FUNCTION';
    statements.push(`ALTER ${kind} ${row.sig} OWNER TO ${owner}`);
  }
  const types = await client.query(
    `select t.oid::regtype::text as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where t.typowner = (select oid from pg_roles where rolname = $1) and t.typtype in ('e', 'd', 'c')
        and n.nspname not in ('pg_catalog', 'information_schema')
        and not exists (select 1 from pg_class c where c.reltype = t.oid)`,
    [fromRole],
  );
  for (const row of types.rows as { name: string }[]) statements.push(`ALTER TYPE ${row.name} OWNER TO ${owner}`);
  statements.push(`ALTER SCHEMA public OWNER TO ${owner}`);
  // One round trip, one transaction: a real Odoo database has hundreds of objects.
  await client.query(`BEGIN;\n${statements.join(';\n')};\nCOMMIT`);
  return res.rowCount ?? 0;
}
