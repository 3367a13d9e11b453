import { join } from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { SERVER_ROOT } from '../paths.js';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A database handle or an open transaction: repositories accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * `onError` receives errors of idle pooled connections (e.g. "terminating connection due to administrator
 * command" on a PostgreSQL restart): without a listener the pool's 'error' event kills the process. The
 * broken connection is dropped and the next query opens a new one, so the pool recovers by itself.
 */
export function createDatabase(url: string, max = 10, onError: (err: Error) => void = () => {}): Database {
  // A server that is away refuses at once; one that hangs must not hold a request for ever.
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  pool.on('error', onError);
  // A client checked out of the pool (a transaction, a held advisory lock) reports a cut connection as its
  // own 'error' event, which the pool does not listen to then; its queries fail, and the pool discards it.
  pool.on('connect', (client) => client.on('error', onError));
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

const preparedQueries = new WeakMap<DbOrTx, Map<string, unknown>>();

/**
 * A query built and prepared once per database handle, for the paths every request takes: drizzle
 * then skips building its SQL, and PostgreSQL parses it once per connection (a named statement).
 * `build` must call `.prepare(name)` with the name it is given; values go in as `sql.placeholder`s.
 */
export function prepared<T>(db: DbOrTx, name: string, build: (db: DbOrTx, name: string) => T): T {
  let queries = preparedQueries.get(db);
  if (!queries) {
    queries = new Map();
    preparedQueries.set(db, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (!query) {
    query = build(db, name);
    queries.set(name, query);
  }
  return query;
}

const migrationsFolder = join(SERVER_ROOT, 'migrations');

export async function runMigrations(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
}
