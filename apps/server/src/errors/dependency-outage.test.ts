import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDependencyOutage } from './dependency-outage.js';

describe('isDependencyOutage', () => {
  it('recognises a refused connection as node-postgres reports it', async () => {
    // Port 1 on loopback: nothing listens there.
    const client = new pg.Client({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none', connectionTimeoutMillis: 2_000 });
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isDependencyOutage(err)).toBe(true);
  });

  it('recognises PostgreSQL shutting down, cut connections and a wrapped cause', () => {
    expect(isDependencyOutage(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isDependencyOutage(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isDependencyOutage(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true);
    expect(isDependencyOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyOutage(new Error('Failed query: select 1', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
  });

  it('leaves bugs and bad queries alone', () => {
    expect(isDependencyOutage(new Error('boom'))).toBe(false);
    expect(isDependencyOutage(Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' }))).toBe(false);
    expect(isDependencyOutage(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDependencyOutage(undefined)).toBe(false);
  });
});
