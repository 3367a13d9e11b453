import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import { errorText } from '../process.js';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';
import { BEAT_TTL_SECONDS, type WorkerHeartbeats } from './worker-heartbeats.js';

export interface CheckResult {
  status: 'ok' | 'fail';
  error?: string;
}

export interface ReadinessDeps {
  db: Db;
  redis: Redis;
  /** A queue reached through BullMQ's own connection (the one requests enqueue on). */
  queue: Queue;
  runtime: Pick<InstanceRuntime, 'ping'>;
  workers: Pick<WorkerHeartbeats, 'list'>;
}

const withTimeout = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

async function check(work: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await withTimeout(work(), 2000);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'fail', error: errorText(err) };
  }
}

/** The heartbeats list only workers that beat within their TTL: an empty list means none is alive. */
async function freshWorker(workers: ReadinessDeps['workers']) {
  if ((await workers.list()).length === 0) throw new Error(`no worker heartbeat in the last ${BEAT_TTL_SECONDS} s`);
}

async function queueAccepts(queue: Queue) {
  if (await queue.isPaused()) throw new Error(`the ${queue.name} queue is paused`);
}

/**
 * Whether this API process can serve, each dependency answering within 2 s: what a load balancer asks.
 * PostgreSQL, Redis, the queue and the Docker engine are the API's own dependencies: one away makes it
 * not ready (503). No live worker only degrades it (200): requests are still accepted and their jobs wait
 * in the queue until a worker returns — taking every API out of the balancer for it would take the whole
 * site down instead (docs/reliability.md).
 */
export async function readiness(deps: ReadinessDeps) {
  const [postgres, redis, queue, docker, worker] = await Promise.all([
    check(() => deps.db.execute(sql`select 1`)),
    check(() => deps.redis.ping()),
    check(() => queueAccepts(deps.queue)),
    check(() => deps.runtime.ping()),
    check(() => freshWorker(deps.workers)),
  ]);
  const checks = { postgres, redis, queue, docker, worker };
  const critical = [postgres, redis, queue, docker].every((c) => c.status === 'ok');
  const status = !critical ? 'not_ready' : worker.status === 'ok' ? 'ready' : 'degraded';
  return { status, checks } as const;
}
