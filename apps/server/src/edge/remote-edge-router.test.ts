import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceRoute } from '../../test/support/edge-fixtures.js';
import { ACK_TTL_MS, type EdgeAck, edgeKeys, type RoutePin } from './edge-channel.js';
import { EdgeInputError } from './edge-names.js';
import { EdgeConfigError, EdgeSyncError, EdgeUnavailableError } from './edge-router.js';
import { RemoteEdgeRouter } from './remote-edge-router.js';

/**
 * RemoteEdgeRouter's contract on a real Redis (its own prefix). The edge side is played by writing its
 * acknowledgements as `cli.js edge-sync` does (edge-channel.ts); the whole loop with a real edge is in
 * test/packaging/edge-image.test.ts.
 */

const prefix = `edge-unit-${randomUUID().slice(0, 8)}`;
const keys = edgeKeys(prefix);
let redis: Redis;
let listener: Redis;
const notices: string[] = [];
const warnings: string[] = [];

const router = (applyTimeoutMs = 1_500) =>
  new RemoteEdgeRouter({
    redis,
    prefix,
    platformHosts: { publicHost: 'localhost', adminHost: 'admin.localhost' },
    applyTimeoutMs,
    pollMs: 20,
    log: { info() {}, warn: (_o, msg) => warnings.push(msg) },
  });

const ack = (replica: string, value: Partial<EdgeAck> & { generation: number }) =>
  redis.hset(keys.acks, replica, JSON.stringify({ failed: {}, expiresAt: Date.now() + ACK_TTL_MS, ...value } satisfies EdgeAck));

/** Plays one edge replica: acknowledges every notice after `delayMs`, with `failed`. */
async function edgeReplica(replica: string, options: { delayMs?: number; failed?: Record<string, string> } = {}) {
  const sub = new Redis(process.env.TEST_REDIS_URL ?? '');
  await sub.subscribe(keys.channel);
  sub.on('message', (_channel, generation: string) => {
    setTimeout(() => void ack(replica, { generation: Number(generation), failed: options.failed ?? {} }), options.delayMs ?? 0);
  });
  return { close: () => sub.disconnect() };
}

beforeAll(async () => {
  redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
  listener = new Redis(process.env.TEST_REDIS_URL ?? '');
  await listener.subscribe(keys.channel);
  listener.on('message', (_channel, message: string) => notices.push(message));
});
afterAll(async () => {
  const all = await redis.keys(`${prefix}:*`);
  if (all.length > 0) await redis.del(...all);
  listener.disconnect();
  redis.disconnect();
});

describe('the remote edge router', () => {
  it('with no edge running, records the route and its notice, and resolves with a warning', async () => {
    const route = instanceRoute({ instanceId: randomUUID() });
    await router().applyRoute(route);
    const pin = JSON.parse((await redis.hget(keys.pins, route.instanceId)) ?? 'null') as RoutePin;
    expect(pin.route).toEqual(route);
    const generation = await redis.get(keys.generation);
    await expect.poll(() => notices).toContain(generation);
    expect(warnings.at(-1)).toContain('no edge is running');
  });

  it('refuses invalid input before anything is recorded', async () => {
    const before = await redis.get(keys.generation);
    const bad = instanceRoute({ instanceId: randomUUID(), hosts: ['bad host;'] });
    await expect(router().applyRoute(bad)).rejects.toBeInstanceOf(EdgeInputError);
    await expect(router().applyRoute(instanceRoute({ instanceId: randomUUID(), hosts: ['admin.localhost'] }))).rejects.toBeInstanceOf(
      EdgeInputError,
    );
    await expect(router().publishChallenge('acme', 'not/a/token', 'x')).rejects.toBeInstanceOf(EdgeInputError);
    expect(await redis.hget(keys.pins, bad.instanceId)).toBeNull();
    expect(await redis.get(keys.generation)).toBe(before);
  });

  it('resolves only once every running edge acknowledged the change', async () => {
    const fast = await edgeReplica('edge-a');
    const slow = await edgeReplica('edge-b', { delayMs: 400 });
    try {
      await ack('edge-a', { generation: 0 });
      await ack('edge-b', { generation: 0 });
      const started = Date.now();
      await router().applyRoute(instanceRoute({ instanceId: randomUUID() }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
      const generation = Number(await redis.get(keys.generation));
      const acks = await redis.hgetall(keys.acks);
      for (const replica of ['edge-a', 'edge-b']) expect(JSON.parse(acks[replica] ?? '{}').generation).toBe(generation);
    } finally {
      fast.close();
      slow.close();
      await redis.del(keys.acks);
    }
  });

  it("throws EdgeUnavailableError with the lagging edge's error when it stays behind past the timeout", async () => {
    await ack('edge-stuck', { generation: 0, error: 'postgres: connection refused' });
    try {
      const started = Date.now();
      const error = await router(600)
        .removeRoute(randomUUID())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EdgeUnavailableError);
      expect((error as EdgeUnavailableError).replicas).toEqual({ 'edge-stuck': 'postgres: connection refused' });
      expect(Date.now() - started).toBeLessThan(3_000);
      // An edge whose ack expired (it stopped without withdrawing it) no longer counts.
      await ack('edge-stuck', { generation: 0, expiresAt: Date.now() - 1 });
      await router(600).removeRoute(randomUUID());
    } finally {
      await redis.del(keys.acks);
    }
  });

  it("throws EdgeConfigError with nginx's words when an edge refuses the route; syncAll reports refusals as EdgeSyncError and drops pins", async () => {
    const refused = instanceRoute({ instanceId: randomUUID() });
    const replica = await edgeReplica('edge-c', { failed: { [refused.instanceId]: 'nginx: [emerg] something' } });
    await ack('edge-c', { generation: 0 });
    try {
      const error = await router()
        .applyRoute(refused)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EdgeConfigError);
      expect((error as EdgeConfigError).output).toBe('nginx: [emerg] something');
      expect((error as EdgeConfigError).instanceId).toBe(refused.instanceId);
      const other = instanceRoute({ instanceId: randomUUID() });
      const sync = await router()
        .syncAll([refused, other])
        .catch((e: unknown) => e);
      expect(sync).toBeInstanceOf(EdgeSyncError);
      expect((sync as EdgeSyncError).failed.map((f) => f.instanceId)).toEqual([refused.instanceId]);
      expect(await redis.exists(keys.pins)).toBe(0);
    } finally {
      replica.close();
      await redis.del(keys.acks);
    }
  });

  it('records published challenges for the edges and withdraws them', async () => {
    await router().publishChallenge('acme', 'tok_123-abc', 'key-authorization');
    expect(await redis.hget(keys.challenges, 'acme/tok_123-abc')).toBe('key-authorization');
    await router().withdrawChallenge('acme', 'tok_123-abc');
    expect(await redis.hget(keys.challenges, 'acme/tok_123-abc')).toBeNull();
  });
});
