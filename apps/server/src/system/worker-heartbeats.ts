import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';

/** A live worker process, as its last heartbeat described it. */
export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  /** The queues it consumes. */
  consumers: string[];
  startedAt: string;
  lastBeatAt: string;
}

const BEAT_EVERY_MS = 5_000;
/** A worker that missed several beats (killed, frozen, cut off from Redis) drops out of the list by itself. */
export const BEAT_TTL_SECONDS = 30;

/**
 * Worker heartbeats in Redis: each process refreshes one key with a TTL, and a sorted set indexes the
 * keys so listing needs no SCAN. Readers (the admin System page, /ready) see only processes that beat recently.
 */
export class WorkerHeartbeats {
  private readonly indexKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.indexKey = `${prefix}:workers`;
  }

  private workerKey(id: string) {
    return `${this.prefix}:worker:${id}`;
  }

  /** Starts beating for this process; the returned function stops and removes its entry (a clean shutdown). */
  start(info: { consumers: string[]; version: string }): () => Promise<void> {
    const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const startedAt = new Date().toISOString();
    const beat = async () => {
      const now = new Date();
      const entry: WorkerInfo = {
        id,
        hostname: hostname(),
        pid: process.pid,
        version: info.version,
        consumers: info.consumers,
        startedAt,
        lastBeatAt: now.toISOString(),
      };
      await this.redis
        .multi()
        .set(this.workerKey(id), JSON.stringify(entry), 'EX', BEAT_TTL_SECONDS)
        .zadd(this.indexKey, now.getTime(), id)
        .exec();
    };
    // A missed beat is not an error worth crashing for: Redis may be restarting; the next beat tries again.
    const safeBeat = () => beat().catch(() => undefined);
    let pending = safeBeat();
    const timer = setInterval(() => {
      pending = safeBeat();
    }, BEAT_EVERY_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await pending;
      await this.redis
        .multi()
        .del(this.workerKey(id))
        .zrem(this.indexKey, id)
        .exec()
        .catch(() => undefined);
    };
  }

  /** The workers with a fresh heartbeat, oldest first; entries whose key expired are pruned from the index. */
  async list(): Promise<WorkerInfo[]> {
    const ids = await this.redis.zrange(this.indexKey, '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.workerKey(id)));
    const expired = ids.filter((_, i) => values[i] === null);
    if (expired.length) await this.redis.zrem(this.indexKey, ...expired);
    return values
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as WorkerInfo)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
