import type { Redis } from 'ioredis';
import type { ChallengeKind, InstanceRoute } from './edge-router.js';

/**
 * What the API and worker (RemoteEdgeRouter) and the edge containers (`cli.js edge-sync`) share in Redis
 * (docs/edge.md#remote-mode). Keys are under the platform's Redis prefix (QUEUE_PREFIX), so platforms and
 * test runs on one Redis stay apart:
 * - `generation`: a counter, bumped by every change; published on `changes` as a notice.
 * - `pins`: per instance, the route a caller last applied (or null: removed), JSON. The edge derives routes
 *   from the database and lets a pin override it until the database says the same (the caller applies a
 *   route before it records the state that leads to it) or the pin is PIN_TTL_MS old.
 * - `challenges`: `<kind>/<token>` → content, the well-known files every edge serves.
 * - `acks`: per edge replica, the generation it serves (an EdgeAck).
 */
export function edgeKeys(prefix: string) {
  const base = `${prefix}:edge`;
  return {
    channel: `${base}:changes`,
    generation: `${base}:generation`,
    pins: `${base}:pins`,
    challenges: `${base}:challenges`,
    acks: `${base}:acks`,
  };
}

export type EdgeKeys = ReturnType<typeof edgeKeys>;

/** Longer than any operation between applying a route and recording its state (provisioning's health wait). */
export const PIN_TTL_MS = 3_600_000;

/** How often an edge renews its ack, and how long an ack counts as a live edge without renewal. */
export const ACK_HEARTBEAT_MS = 5_000;
export const ACK_TTL_MS = 3 * ACK_HEARTBEAT_MS;

export interface RoutePin {
  route: InstanceRoute | null;
  /** Epoch ms when it was applied. */
  at: number;
}

export interface EdgeAck {
  /** Every change up to this generation is served. */
  generation: number;
  /** Epoch ms until which this replica counts as running. */
  expiresAt: number;
  /** Routes nginx refused at that sync (instance id → nginx's words); they keep their last good config. */
  failed: Record<string, string>;
  /** The last sync failed as a whole (PostgreSQL away, nginx refusing the platform files...): the replica serves its last good config. */
  error?: string;
}

export const challengeField = (kind: ChallengeKind, token: string) => `${kind}/${token}`;

/** The acks of replicas still running, by replica id (expired or unreadable ones left out). */
export async function liveAcks(redis: Redis, keys: EdgeKeys, now = Date.now()): Promise<Map<string, EdgeAck>> {
  const live = new Map<string, EdgeAck>();
  for (const [replica, text] of Object.entries(await redis.hgetall(keys.acks))) {
    try {
      const ack = JSON.parse(text) as EdgeAck;
      if (typeof ack.generation === 'number' && ack.expiresAt > now) live.set(replica, ack);
    } catch {
      // A malformed entry is no live edge.
    }
  }
  return live;
}

/** Deletes a hash field only if it still holds `value` (another writer may have replaced it meanwhile). */
const DELETE_IF_SAME = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;

export function deleteFieldIfSame(redis: Redis, key: string, field: string, value: string): Promise<unknown> {
  return redis.eval(DELETE_IF_SAME, 1, key, field, value);
}
