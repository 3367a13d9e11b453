import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { challengeField, type EdgeAck, type EdgeKeys, edgeKeys, liveAcks, type RoutePin } from './edge-channel.js';
import { assertInstanceId, assertToken } from './edge-names.js';
import {
  type ChallengeKind,
  EdgeConfigError,
  type EdgeLog,
  type EdgeRouter,
  EdgeSyncError,
  EdgeUnavailableError,
  type InstanceRoute,
} from './edge-router.js';
import { validateRoute } from './nginx-instance-config.js';

export interface RemoteEdgeRouterOptions {
  redis: Redis;
  /** The platform's Redis prefix (QUEUE_PREFIX). */
  prefix: string;
  /** The platform's own hosts, which no instance route may claim (checked here, as the local router does). */
  platformHosts: { publicHost: string; adminHost: string };
  /** The longest wait for every running edge to acknowledge a change (EDGE_APPLY_TIMEOUT_SECONDS). */
  applyTimeoutMs: number;
  pollMs?: number;
  log?: EdgeLog;
}

const silentLog: EdgeLog = { info() {}, warn() {} };

/**
 * The edge of EDGE_MODE=remote: nothing is written on this machine. Each change is recorded in Redis
 * (edge-channel.ts), announced with a new generation, and the call resolves once every running edge
 * (`cli.js edge-sync`) acknowledges that generation, so "resolves once the edge serves it" still holds:
 * - a route an edge's nginx refuses throws EdgeConfigError with nginx's words, as locally;
 * - an edge that stays behind past applyTimeoutMs throws EdgeUnavailableError (the job retries);
 * - with no edge running at all, the change is recorded and used when an edge starts (resolves, with a
 *   warning), as the local router does when nginx is not running.
 * Invalid input throws EdgeInputError before anything is recorded.
 */
export class RemoteEdgeRouter implements EdgeRouter {
  private readonly keys: EdgeKeys;
  private readonly log: EdgeLog;

  constructor(private readonly options: RemoteEdgeRouterOptions) {
    this.keys = edgeKeys(options.prefix);
    this.log = options.log ?? silentLog;
  }

  async applyRoute(route: InstanceRoute): Promise<void> {
    validateRoute(route, this.options.platformHosts);
    await this.pin(route.instanceId, { route: structuredClone(route), at: Date.now() });
    const acks = await this.publish();
    const refusal = [...acks.values()].map((ack) => ack.failed[route.instanceId]).find((text) => text !== undefined);
    if (refusal !== undefined) throw new EdgeConfigError('the edge refused the route', refusal, route.instanceId);
  }

  async removeRoute(instanceId: string): Promise<void> {
    assertInstanceId(instanceId);
    await this.pin(instanceId, { route: null, at: Date.now() });
    await this.publish();
  }

  /**
   * The edges derive every route from the database themselves; this drops the callers' pins (the
   * database is the state to serve, as a local syncAll rewrites every file) and waits for the edges.
   * `routes` only names the routes whose refusal is reported (EdgeSyncError).
   */
  async syncAll(routes: InstanceRoute[]): Promise<void> {
    await this.options.redis.del(this.keys.pins);
    const acks = await this.publish();
    const wanted = new Set(routes.map((r) => r.instanceId));
    const failed = new Map<string, Error>();
    for (const ack of acks.values()) {
      for (const [instanceId, text] of Object.entries(ack.failed)) {
        if (wanted.has(instanceId) && !failed.has(instanceId)) {
          failed.set(instanceId, new EdgeConfigError('the edge refused the route', text, instanceId));
        }
      }
    }
    if (failed.size > 0) throw new EdgeSyncError([...failed].map(([instanceId, error]) => ({ instanceId, error })));
  }

  async publishChallenge(kind: ChallengeKind, token: string, content: string): Promise<void> {
    await this.options.redis.hset(this.keys.challenges, challengeField(kind, assertToken(token)), content);
    await this.publish();
  }

  /** Withdrawn at the edges' next sync; nothing waits for it (a stale challenge file is harmless). */
  async withdrawChallenge(kind: ChallengeKind, token: string): Promise<void> {
    await this.options.redis.hdel(this.keys.challenges, challengeField(kind, token));
    await this.announce();
  }

  /** Has every edge re-render everything from the platform's state (a platform certificate changed) and waits for it. */
  async refresh(): Promise<void> {
    await this.publish();
  }

  // --- internals -------------------------------------------------------------------------------

  private pin(instanceId: string, pin: RoutePin) {
    return this.options.redis.hset(this.keys.pins, instanceId, JSON.stringify(pin));
  }

  private async announce(): Promise<number> {
    const generation = await this.options.redis.incr(this.keys.generation);
    await this.options.redis.publish(this.keys.channel, String(generation));
    return generation;
  }

  /** Announces the change and waits until every running edge serves it; returns their acks. */
  private async publish(): Promise<Map<string, EdgeAck>> {
    const generation = await this.announce();
    const deadline = Date.now() + this.options.applyTimeoutMs;
    for (;;) {
      const acks = await liveAcks(this.options.redis, this.keys);
      if (acks.size === 0) {
        this.log.warn({ generation }, 'no edge is running: the change is recorded and served when an edge starts');
        return acks;
      }
      const behind = [...acks].filter(([, ack]) => ack.generation < generation);
      if (behind.length === 0) return acks;
      if (Date.now() >= deadline) {
        const replicas = Object.fromEntries(behind.map(([id, ack]) => [id, ack.error ?? `serves generation ${ack.generation}`]));
        throw new EdgeUnavailableError(
          `${behind.length} edge(s) did not apply change ${generation} within ${this.options.applyTimeoutMs} ms: ${Object.entries(replicas)
            .map(([id, text]) => `${id}: ${text}`)
            .join('; ')}`,
          replicas,
        );
      }
      await sleep(this.options.pollMs ?? 100);
    }
  }
}
