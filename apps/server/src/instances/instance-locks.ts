import type pg from 'pg';

/**
 * Session advisory locks on the platform database: one operation per instance at a time, across
 * every worker process. A worker that dies loses its connection, and with it the lock.
 */
async function withLock<T>(
  pool: pg.Pool,
  key: string,
  mode: 'wait' | 'try',
  work: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect();
  // A checked-out client reports a cut connection (a PostgreSQL restart) as an event: without a listener
  // it would end the process. The lock goes with the connection, so there is nothing left to unlock.
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  try {
    const fn = mode === 'wait' ? 'pg_advisory_lock' : 'pg_try_advisory_lock';
    const res = await client.query(`select ${fn}(hashtext($1)) as ok`, [key]);
    if (mode === 'try' && !res.rows[0]?.ok) return { locked: false };
    try {
      return { locked: true, value: await work() };
    } finally {
      if (!lost) {
        await client.query('select pg_advisory_unlock(hashtext($1))', [key]).catch((err: Error) => {
          lost = err;
        });
      }
    }
  } finally {
    client.off('error', onError);
    // A client whose connection failed is destroyed, not returned to the pool.
    client.release(lost);
  }
}

/** A session lock on any key: waits for the holder (another process) to finish. */
export async function withSessionLock<T>(pool: pg.Pool, key: string, work: () => Promise<T>): Promise<T> {
  const result = await withLock(pool, key, 'wait', work);
  if (!result.locked) throw new Error('unreachable: waiting lock not taken');
  return result.value;
}

export function withInstanceLock<T>(pool: pg.Pool, instanceId: string, work: () => Promise<T>): Promise<T> {
  return withSessionLock(pool, `instance:${instanceId}`, work);
}

/** Runs only if nobody else is working on the instance right now. */
export function tryInstanceLock<T>(pool: pg.Pool, instanceId: string, work: () => Promise<T>) {
  return withLock(pool, `instance:${instanceId}`, 'try', work);
}

export function withTemplateLock<T>(pool: pg.Pool, version: string, work: () => Promise<T>): Promise<T> {
  return withSessionLock(pool, `template:${version}`, work);
}

/**
 * One backup or restore at a time per instance (a restore's safety backup runs inside it). Separate from the
 * instance lock: a backup runs while the instance serves, start and stop included.
 */
export function withBackupLock<T>(pool: pg.Pool, instanceId: string, work: () => Promise<T>): Promise<T> {
  return withSessionLock(pool, `backup:${instanceId}`, work);
}
