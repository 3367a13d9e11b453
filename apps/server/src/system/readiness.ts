import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';

export interface CheckResult {
  status: 'ok' | 'fail';
  error?: string;
}

const withTimeout = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

async function check(work: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await withTimeout(work(), 2000);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'fail', error: err instanceof Error ? err.message : String(err) };
  }
}

/** Whether the platform's own dependencies answer, each within 2 s: what a load balancer's readiness probe asks. */
export async function readiness(deps: { db: Db; redis: Redis }) {
  const [postgres, redis] = await Promise.all([check(() => deps.db.execute(sql`select 1`)), check(() => deps.redis.ping())]);
  return { ready: postgres.status === 'ok' && redis.status === 'ok', checks: { postgres, redis } };
}
