import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeKeys } from '../../src/edge/edge-channel.js';
import { RemoteEdgeRouter } from '../../src/edge/remote-edge-router.js';
import { applyInstanceRoute, routeFor } from '../../src/instances/instance-edge.js';
import { slotPorts } from '../../src/instances/instance-names.js';
import type { InstanceRow } from '../../src/instances/instances.repo.js';
import { createUser, type Harness, startHarness } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { freePort, request } from '../support/nginx.js';
import { testEnv } from '../test-env.js';
import { docker, dockerOutcome, health, inspect, logsOf, nodeIn, pid1Uid, waitFor, writeResults } from './image-helpers.js';

/**
 * The edge image as a deployment runs it (docs/images.md, docs/edge.md#remote-mode): `cli.js edge-sync
 * --nginx` in a read-only, non-root container, fed by the test database and Redis under a queue prefix of
 * its own, while the in-process API side (the harness, EDGE_MODE=remote) changes routes through Redis.
 * The container uses the host's network (as images.test.ts explains): instances' upstreams are loopback
 * ports, and PostgreSQL and Redis listen on loopback.
 */

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const EDGE = `saas-edge:${VERSION}`;
const tag = randomUUID().slice(0, 8);
const QUEUE_PREFIX = `edgeimg-${tag}`;
const CONTAINER = `saasedge-${tag}`;
const EDGE_DIR = '/run/saas-edge';

let h: Harness;
let edgePort: number;
let env: Record<string, string>;
let tenantId: string;
/** The instance in the database before the edge started. */
let before: InstanceRow;
const upstreams: http.Server[] = [];

/** Stands in for an instance's Odoo on its slot's loopback port: says which instance answered. */
async function upstreamFor(instance: InstanceRow): Promise<void> {
  const port = slotPorts(h.platform.config.instancePortBase, instance.slot).http;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream of ${instance.id}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  upstreams.push(server);
}

const get = (host: string, path = '/web/login') => request(edgePort, host, path, { timeoutMs: 5_000 });
const hostOf = (instance: InstanceRow) => `${instance.slug}.localhost`;
const runningInstance = async () => {
  const row = await insertInstanceRow(h, tenantId, 'running');
  await upstreamFor(row);
  return row;
};

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--no-build', '--only', 'edge'], {
    timeout: 900_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  console.info(`${stdout.trim()} (script: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  edgePort = await freePort();
  // The host's network: nginx's stub_status listener (127.0.0.1:8089 by default) must not meet the local platform's.
  const statusPort = await freePort();
  // The API side and the edge share one environment, as a deployment's env file: the same routes come out.
  const shared = { QUEUE_PREFIX, EDGE_ROUTER: 'nginx', EDGE_MODE: 'remote', EDGE_APPLY_TIMEOUT_SECONDS: '10' };
  h = await startHarness({ withWorker: false, env: shared });
  tenantId = (await createUser(h, { verify: 'direct', label: 'edge-image' })).tenantId;
  env = testEnv({
    ...shared,
    LOG_LEVEL: 'info',
    EDGE_PORT: String(edgePort),
    EDGE_STATUS_PORT: String(statusPort),
    EDGE_SYNC_INTERVAL_SECONDS: '5',
    // Named, so the test finds the edge's PostgreSQL sessions.
    DATABASE_URL: `${process.env.TEST_DATABASE_URL}?application_name=${CONTAINER}`,
  });
}, 900_000);

afterAll(async () => {
  await dockerOutcome(['rm', '--force', '--volumes', CONTAINER]);
  for (const server of upstreams) server.close();
  await h?.close();
  const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
  try {
    const keys = await redis.keys(`${QUEUE_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}, 60_000);

describe('the edge image', () => {
  it('carries the labels, user and healthcheck of the other images', async () => {
    const config = await inspect<{ User: string; Labels: Record<string, string>; Healthcheck?: { Test: string[] }; ExposedPorts: object }>(
      EDGE,
      '.Config',
    );
    expect(config.User).toBe('10001:10001');
    expect(config.Labels['org.opencontainers.image.title']).toBe('saas-edge');
    expect(config.Labels['org.opencontainers.image.version']).toBe(VERSION);
    expect(config.Labels['org.opencontainers.image.revision']).toBeTruthy();
    expect(config.Labels['org.odoo-saas.input-hash']).toMatch(/^[0-9a-f]{32}$/);
    expect(config.Healthcheck?.Test).toEqual(['CMD', '/usr/local/bin/node', '/usr/local/lib/saas/edge-healthcheck.mjs']);
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['8080/tcp', '8443/tcp']);
  });

  it('serves the instances of the database, read-only and non-root, and turns healthy', async () => {
    before = await runningInstance();
    const out = await dockerOutcome(
      [
        'run',
        '-d',
        '--name',
        CONTAINER,
        '--label',
        `saasimg.test=${tag}`,
        '--network',
        'host',
        '--read-only',
        '--tmpfs',
        `${EDGE_DIR}:rw,nosuid,nodev,uid=10001,gid=10001,mode=0755,size=64m`,
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--health-interval',
        '1s',
        '--health-start-period',
        '40s',
        ...Object.keys(env).flatMap((k) => ['-e', k]),
        EDGE,
      ],
      { ...process.env, ...env },
    );
    expect(out.code, out.stderr).toBe(0);
    const served = await waitFor(
      'the edge to serve the instance',
      () => get(hostOf(before)).then((r) => (r.status === 200 ? r : undefined)),
      40_000,
      [CONTAINER],
    );
    expect(served.body).toBe(`upstream of ${before.id}`);
    expect((await get('unknown.localhost')).status).toBe(404);
    await waitFor('the edge to turn healthy', async () => ((await health(CONTAINER)) === 'healthy' ? true : undefined), 20_000, [
      CONTAINER,
    ]);
    expect(await pid1Uid(CONTAINER)).toBe(10001);
    expect(await writeResults(CONTAINER, ['/probe', '/app/probe', '/srv/web/probe', `${EDGE_DIR}/probe`])).toEqual({
      '/probe': 'EROFS',
      '/app/probe': 'EROFS',
      '/srv/web/probe': 'EROFS',
      [`${EDGE_DIR}/probe`]: 'ok',
    });
  }, 90_000);

  it('applies what the API side changes (remote EdgeRouter) before the change resolves', async () => {
    expect(h.platform.edge).toBeInstanceOf(RemoteEdgeRouter);
    const instance = await runningInstance();
    // Not in the database's routes until the next sync: applyRoute resolves once the edge serves it.
    let started = Date.now();
    await h.platform.edge.applyRoute(await routeFor(h.platform, instance));
    const applyMs = Date.now() - started;
    expect((await get(hostOf(instance))).body).toBe(`upstream of ${instance.id}`);
    expect(applyMs).toBeLessThan(5_000);
    // A state the caller applies before it records it (a stop): served at once, the pin overriding the database.
    started = Date.now();
    await applyInstanceRoute(h.platform, instance, 'stopped');
    expect((await get(hostOf(instance))).status).toBe(503);
    await h.platform.edge.removeRoute(instance.id);
    expect((await get(hostOf(instance))).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  it('reconnects after its Redis and PostgreSQL connections are cut, keeping the last good config meanwhile', async () => {
    const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
    try {
      // As a restart of either server looks to the edge: every connection closed under it.
      const sessions = await h.platform.database.pool.query<{ ok: boolean }>(
        'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1',
        [CONTAINER],
      );
      expect(sessions.rows.length).toBeGreaterThanOrEqual(1);
      const clients = (await redis.client('LIST')) as string;
      const ids = clients
        .split('\n')
        .filter((line) => line.includes(` name=${QUEUE_PREFIX}:edge-sync `))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => Boolean(id));
      expect(ids).toHaveLength(2);
      for (const id of ids) await redis.client('KILL', 'ID', id);
      const instance = await runningInstance();
      // Whether the notice reaches the resubscribed edge or not, the sync after reconnecting (or the
      // timer) applies it, and applyRoute waits for that acknowledgement.
      await h.platform.edge.applyRoute(await routeFor(h.platform, instance));
      expect((await get(hostOf(instance))).body).toBe(`upstream of ${instance.id}`);
      expect((await get(hostOf(before))).body).toBe(`upstream of ${before.id}`);
      const acks = await redis.hgetall(edgeKeys(QUEUE_PREFIX).acks);
      expect(Object.keys(acks)).toHaveLength(1);
      // And from the database alone, by the periodic sync (EDGE_SYNC_INTERVAL_SECONDS=5): nothing published.
      const unannounced = await runningInstance();
      await waitFor(
        'the periodic sync to serve an instance only the database knows',
        () => get(hostOf(unannounced)).then((r) => (r.status === 200 ? r : undefined)),
        15_000,
        [CONTAINER],
      );
    } finally {
      redis.disconnect();
    }
  }, 40_000);

  it('starts nginx again when it dies', async () => {
    const instance = await runningInstance();
    await h.platform.edge.applyRoute(await routeFor(h.platform, instance));
    const killed = await nodeIn(
      CONTAINER,
      `const pid=Number(require('fs').readFileSync('${EDGE_DIR}/nginx.pid','utf8'));process.kill(pid,'SIGKILL');process.stdout.write(String(pid))`,
    );
    expect(Number(killed)).toBeGreaterThan(1);
    const back = await waitFor(
      'nginx to serve again',
      () => get(hostOf(instance)).then((r) => (r.status === 200 ? r : undefined)),
      15_000,
      [CONTAINER],
    );
    expect(back.body).toBe(`upstream of ${instance.id}`);
    expect(await logsOf(CONTAINER)).toContain('nginx exited: starting it again');
  }, 30_000);

  it('stops cleanly on SIGTERM: exit 0, nginx gone, its acknowledgement withdrawn', async () => {
    const started = Date.now();
    await docker(['stop', '--time', '20', CONTAINER], { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    const state = await inspect<{ ExitCode: number }>(CONTAINER, '.State');
    expect(state.ExitCode, await logsOf(CONTAINER)).toBe(0);
    const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
    try {
      expect(await redis.hgetall(edgeKeys(QUEUE_PREFIX).acks)).toEqual({});
    } finally {
      redis.disconnect();
    }
    await expect(get('unknown.localhost')).rejects.toThrow();
  }, 30_000);
});
