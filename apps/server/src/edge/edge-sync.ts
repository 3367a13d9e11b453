import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import { syncInstanceRoutes } from '../instances/instance-edge.js';
import { errorText } from '../process.js';
import {
  ACK_HEARTBEAT_MS,
  ACK_TTL_MS,
  deleteFieldIfSame,
  type EdgeAck,
  type EdgeKeys,
  edgeKeys,
  PIN_TTL_MS,
  type RoutePin,
} from './edge-channel.js';
import { CHALLENGE_DIRS, type ChallengeKind, type EdgeRouter, EdgeSyncError, type InstanceRoute } from './edge-router.js';
import type { NginxEdgeRouter } from './nginx-edge-router.js';

export interface EdgeSyncerDeps {
  config: Config;
  log: FastifyBaseLogger;
  router: NginxEdgeRouter;
  database: Database;
  /** Commands. */
  redis: Redis;
  /** A connection of its own, in subscriber mode. */
  subscriber: Redis;
  /** This replica's name in the acks (the container's host name). */
  replicaId: string;
  /** Sync errors are retried after this, doubled up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** A failed query's message is the whole query; its cause (the server's or the socket's words) explains it. */
const describe = (error: unknown) => {
  const first = errorText(error).split('\n')[0] ?? '';
  if (!(error instanceof Error) || error.cause === undefined) return first.slice(0, 300);
  return `${errorText(error.cause)} (${first.length > 60 ? `${first.slice(0, 60)}…` : first})`;
};

const sameRoute = (a: InstanceRoute, b: InstanceRoute) =>
  isDeepStrictEqual({ ...a, hosts: [...a.hosts].sort() }, { ...b, hosts: [...b.hosts].sort() });

/**
 * The edge container's loop (`cli.js edge-sync`): this replica's nginx serves the platform's state. A sync
 * derives every route from the database (syncInstanceRoutes, as the API does at start-up), lets the
 * callers' pins override it (edge-channel.ts), writes the published challenges, applies it all through
 * the NginxEdgeRouter (render → nginx -t → swap → reload, nothing when nothing changed) and acknowledges
 * the generation it read first. It runs on every notice, on every (re)connection to Redis and on a timer;
 * a failed sync keeps the last good config serving and is retried with backoff.
 */
export class EdgeSyncer {
  private readonly keys: EdgeKeys;
  private pending = false;
  private running: Promise<void> | null = null;
  private stopping = false;
  private failures = 0;
  private timers: NodeJS.Timeout[] = [];
  private wake: (() => void) | null = null;
  private lastAck: EdgeAck | null = null;

  constructor(private readonly deps: EdgeSyncerDeps) {
    this.keys = edgeKeys(deps.config.queuePrefix);
  }

  async start(): Promise<void> {
    const { subscriber, config } = this.deps;
    subscriber.on('message', (channel: string) => {
      if (channel === this.keys.channel) this.request();
    });
    // ioredis subscribes again after a reconnection; notices sent meanwhile are lost, so sync then too.
    subscriber.on('ready', () => this.request());
    subscriber.subscribe(this.keys.channel).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'edge-sync: subscribe failed'));
    this.timers.push(setInterval(() => this.request(), config.edge.syncIntervalMs));
    this.timers.push(setInterval(() => void this.heartbeat(), ACK_HEARTBEAT_MS));
    this.request();
  }

  /** Finishes the sync in progress, withdraws this replica's ack (it no longer serves) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.wake?.();
    await this.running;
    await this.deps.redis.hdel(this.keys.acks, this.deps.replicaId).catch(() => undefined);
  }

  private request(): void {
    this.pending = true;
    if (this.stopping || this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    while (this.pending && !this.stopping) {
      this.pending = false;
      try {
        await this.syncOnce();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        const waitMs = Math.min((this.deps.backoffMs ?? 1_000) * 2 ** (this.failures - 1), this.deps.maxBackoffMs ?? 30_000);
        this.deps.log.warn({ err: describe(error), retryInMs: waitMs }, 'edge-sync failed: the last good config keeps serving');
        await this.report(describe(error));
        this.pending = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  private async syncOnce(): Promise<void> {
    const { redis, router, config, database, log } = this.deps;
    // Read first: everything recorded before this generation's notice is read below.
    const generation = Number((await redis.get(this.keys.generation)) ?? 0);
    const [pinTexts, challenges] = await Promise.all([redis.hgetall(this.keys.pins), redis.hgetall(this.keys.challenges)]);
    const pinned = new PinnedEdge(router, pinTexts);
    const result = await syncInstanceRoutes({ config, database, edge: pinned, log });
    await writeChallenges(router.paths.webroot, challenges);
    for (const [instanceId, text] of pinned.settled) await deleteFieldIfSame(redis, this.keys.pins, instanceId, text);
    const failed = Object.fromEntries(pinned.failed.map((f) => [f.instanceId, f.error.message]));
    await this.acknowledge({ generation, failed });
    if (pinned.reloaded || result.failed > 0) log.info({ generation, ...result, reloaded: pinned.reloaded }, 'edge synced');
  }

  private async acknowledge(ack: Omit<EdgeAck, 'expiresAt'>) {
    this.lastAck = { ...ack, expiresAt: 0 };
    await this.writeAck();
  }

  /** A failed sync: still running, serving what the last good sync acknowledged. */
  private async report(error: string) {
    this.lastAck = { ...(this.lastAck ?? { generation: 0, failed: {} }), expiresAt: 0, error };
    await this.writeAck().catch(() => undefined);
  }

  private async heartbeat() {
    if (this.lastAck && !this.stopping) await this.writeAck().catch(() => undefined);
  }

  private writeAck() {
    if (!this.lastAck) return Promise.resolve();
    const ack: EdgeAck = { ...this.lastAck, expiresAt: Date.now() + ACK_TTL_MS };
    return this.deps.redis.hset(this.keys.acks, this.deps.replicaId, JSON.stringify(ack));
  }
}

/**
 * The routes of one sync: the database's, with the callers' pins laid over them, applied through the
 * nginx router. Pins the database has caught up with (or too old) are `settled` for removal.
 */
class PinnedEdge implements EdgeRouter {
  readonly settled: [string, string][] = [];
  failed: { instanceId: string; error: Error }[] = [];
  reloaded = false;

  constructor(
    private readonly router: NginxEdgeRouter,
    private readonly pinTexts: Record<string, string>,
  ) {}

  async syncAll(routes: InstanceRoute[]): Promise<void> {
    const byId = new Map(routes.map((r) => [r.instanceId, r]));
    const now = Date.now();
    for (const [instanceId, text] of Object.entries(this.pinTexts)) {
      let pin: RoutePin;
      try {
        pin = JSON.parse(text) as RoutePin;
      } catch {
        this.settled.push([instanceId, text]);
        continue;
      }
      const current = byId.get(instanceId);
      const caughtUp = pin.route === null ? current === undefined : current !== undefined && sameRoute(current, pin.route);
      if (caughtUp || now - pin.at > PIN_TTL_MS) {
        this.settled.push([instanceId, text]);
        continue;
      }
      if (pin.route === null) byId.delete(instanceId);
      else byId.set(instanceId, pin.route);
    }
    const result = await this.router.sync([...byId.values()]);
    this.failed = result.failed;
    this.reloaded = result.reloaded;
    if (result.failed.length > 0) throw new EdgeSyncError(result.failed);
  }

  // Only syncAll is used (by syncInstanceRoutes); the rest is the nginx router's.
  applyRoute(route: InstanceRoute) {
    return this.router.applyRoute(route);
  }
  removeRoute(instanceId: string) {
    return this.router.removeRoute(instanceId);
  }
  publishChallenge(kind: ChallengeKind, token: string, content: string) {
    return this.router.publishChallenge(kind, token, content);
  }
  withdrawChallenge(kind: ChallengeKind, token: string) {
    return this.router.withdrawChallenge(kind, token);
  }
}

/** The published challenges as the webroot's files (well-known.conf serves them on every host); others removed. */
async function writeChallenges(webroot: string, published: Record<string, string>) {
  for (const [kind, dirName] of Object.entries(CHALLENGE_DIRS) as [ChallengeKind, string][]) {
    const dir = join(webroot, '.well-known', dirName);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const wanted = new Map<string, string>();
    for (const [field, content] of Object.entries(published)) {
      const [fieldKind, token] = field.split('/');
      if (fieldKind === kind && token && /^[A-Za-z0-9_-]+$/.test(token)) wanted.set(token, content);
    }
    for (const entry of await readdir(dir)) if (!wanted.has(entry)) await rm(join(dir, entry), { force: true });
    for (const [token, content] of wanted) {
      const file = join(dir, token);
      if ((await readFile(file, 'utf8').catch(() => null)) !== content) await writeFile(file, content, { mode: 0o644 });
    }
  }
}
