import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/nginx.js';
import { testEnv } from '../test-env.js';
import { docker, dockerOutcome, health, inspect, logsOf, nodeIn, pid1Uid, waitFor, writeResults } from './image-helpers.js';

/**
 * The platform's images as an operator runs them (docs/images.md), built through the offline path
 * (scripts/build-images.sh: the locally assembled base, then the app images; cached by input hash):
 * non-root, read-only root filesystem, no capabilities, healthchecks, OCI labels. The API and the worker
 * run against the real PostgreSQL and Redis on a database and queue prefix of their own.
 *
 * Network: the platform containers use the host's network namespace. PostgreSQL admits the platform's role
 * only over loopback (scripts/lib/services.sh refuses it from container subnets by name) and Redis listens on
 * loopback only; a bridge network would need both servers reconfigured on a machine other test runs share.
 * The web container runs on the default bridge with its ports published on 127.0.0.1.
 */

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const PLATFORM = `saas-platform:${VERSION}`;
const WEB = `saas-web:${VERSION}`;
const tag = randomUUID().slice(0, 8);
const QUEUE_PREFIX = `img-${tag}`;
const name = (role: string) => `saasimg-${role}-${tag}`;
const API = name('api');
const WORKER = name('worker');
const WEB_C = name('web');

const adminUrl = process.env.TEST_DATABASE_URL ?? '';
const database = `saas_images_${tag}`;
const databaseUrl = (() => {
  const url = new URL(adminUrl || 'postgres://unset@127.0.0.1/x');
  url.pathname = `/${database}`;
  return url.toString();
})();

// What --read-only needs: /tmp as a tmpfs (pg_dump's password file, backup scratch space, nginx's temp files).
const HARDENED = ['--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];
// The image's own HEALTHCHECK command, probed every second so the test need not wait out the 10 s interval.
const FAST_HEALTH = ['--health-interval', '1s', '--health-start-period', '30s'];

let env: Record<string, string>;
let apiPort: number;
let buildOutput = '';

const admin = async <T>(work: (client: pg.Client) => Promise<T>) => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** `docker run` of the platform image with the test's environment, passed by name (-e NAME) so no value sits in argv. */
const platformRun = (args: string[], command: string[]) =>
  dockerOutcome(
    [
      'run',
      ...HARDENED,
      '--network',
      'host',
      '--label',
      `saasimg.test=${tag}`,
      ...Object.keys(env).flatMap((k) => ['-e', k]),
      ...args,
      PLATFORM,
      ...command,
    ],
    { ...process.env, ...env },
  );

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--no-build'], { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
  buildOutput = `${stdout.trim()} (script: ${((Date.now() - started) / 1000).toFixed(1)} s)`;
  console.info(buildOutput);
  await admin((c) => c.query(`create database ${pg.escapeIdentifier(database)}`));
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [api = 0, metricsPort, workerMetricsPort] = [...ports];
  apiPort = api;
  env = testEnv({
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX,
    // Its own engine labels and no template builds: this worker's reconciler must never touch the other test files' containers.
    RESOURCE_PREFIX: 'saasimg',
    PROVISION_FROM_TEMPLATE: 'false',
    ORPHAN_GRACE_SECONDS: '86400',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    DOCKER_SOCKET: '/var/run/docker.sock',
    BACKUP_DIR: '/tmp/backups',
    BACKUP_WORK_DIR: '/tmp/backup-work',
  });
}, 900_000);

afterAll(async () => {
  for (const c of [API, WORKER, WEB_C]) await dockerOutcome(['rm', '--force', '--volumes', c]);
  await admin((c) => c.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`)).catch(() => undefined);
  if (env) {
    const redis = new Redis(String(env.REDIS_URL), { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      const keys = await redis.keys(`${QUEUE_PREFIX}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }
}, 120_000);

describe('the images', () => {
  it('carry OCI labels for version, commit, source and title, a fixed non-root user and a healthcheck', async () => {
    const commit = await exec('git', ['-C', ROOT, 'rev-parse', 'HEAD']).then(
      (r) => r.stdout.trim(),
      () => 'unknown',
    );
    for (const [ref, title, probe] of [
      [PLATFORM, 'saas-platform', '/app/bin/healthcheck.mjs'],
      [WEB, 'saas-web', '/usr/local/lib/saas/web-healthcheck.mjs'],
    ] as const) {
      const config = await inspect<{ User: string; Labels: Record<string, string>; Healthcheck?: { Test: string[] } }>(ref, '.Config');
      expect(config.User, ref).toBe('10001:10001');
      expect(config.Labels['org.opencontainers.image.title']).toBe(title);
      expect(config.Labels['org.opencontainers.image.version']).toBe(VERSION);
      // A build from uncommitted changes says so with -dirty.
      expect(config.Labels['org.opencontainers.image.revision']).toMatch(new RegExp(`^${commit}(-dirty)?$`));
      expect(config.Labels['org.opencontainers.image.source']).toBeTruthy();
      expect(config.Labels['org.odoo-saas.input-hash']).toMatch(/^[0-9a-f]{32}$/);
      expect(config.Healthcheck?.Test).toEqual(['CMD', '/usr/local/bin/node', probe]);
    }
  });

  it('a second build with unchanged inputs reuses both images', async () => {
    const before = await Promise.all([PLATFORM, WEB].map((ref) => inspect<string>(ref, '.Id')));
    const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--no-build'], { timeout: 300_000 });
    expect(stdout).toContain(`${PLATFORM} up to date`);
    expect(stdout).toContain(`${WEB} up to date`);
    expect(await Promise.all([PLATFORM, WEB].map((ref) => inspect<string>(ref, '.Id')))).toEqual(before);
  }, 300_000);

  it('the platform image holds the base contract, the build and production dependencies only', async () => {
    const base = await platformRun(['--rm', '--entrypoint', '/usr/local/bin/node'], ['/usr/local/lib/saas/check-base.mjs']);
    expect(base.code, base.stdout + base.stderr).toBe(0);
    expect(JSON.parse(base.stdout)).toMatchObject({ ok: true, uid: 10001 });
    const probe = `const fs=require('fs');process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify([
      '/app/apps/server/dist/main-api.js',
      '/app/apps/server/migrations/meta/_journal.json',
      '/app/node_modules/fastify',
      '/app/node_modules/bullmq',
      '/app/node_modules/vitest',
      '/app/node_modules/typescript',
      '/app/node_modules/drizzle-kit',
      '/app/node_modules/react',
      '/app/apps/server/src',
      '/app/apps/web',
    ])}.map(p=>[p,fs.existsSync(p)]))))`;
    const files = await platformRun(['--rm', '--entrypoint', '/usr/local/bin/node'], ['-e', probe]);
    expect(JSON.parse(files.stdout)).toEqual({
      '/app/apps/server/dist/main-api.js': true,
      '/app/apps/server/migrations/meta/_journal.json': true,
      '/app/node_modules/fastify': true,
      '/app/node_modules/bullmq': true,
      '/app/node_modules/vitest': false,
      '/app/node_modules/typescript': false,
      '/app/node_modules/drizzle-kit': false,
      '/app/node_modules/react': false,
      '/app/apps/server/src': false,
      '/app/apps/web': false,
    });
  }, 120_000);

  it("loads every native addon of the production dependencies with the base's libraries", async () => {
    // A prebuilt addon links more of glibc than node does (argon2 needs librt): each must load in the image.
    const probe = `const fs=require('fs'),p=require('path'),found=[],failed=[];
(function walk(d){for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);if(e.isDirectory())walk(f);else if(f.endsWith('.node')&&!f.includes('musl'))found.push(f)}})('/app/node_modules');
for(const f of found){try{process.dlopen({exports:{}},f)}catch(e){failed.push(f+': '+e.message)}}
process.stdout.write(JSON.stringify({found:found.length,failed}))`;
    const out = await platformRun(['--rm', '--entrypoint', '/usr/local/bin/node'], ['-e', probe]);
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { found: number; failed: string[] };
    expect(result.failed).toEqual([]);
    expect(result.found).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('migrate is a one-shot command that brings a new database up to date', async () => {
    const out = await platformRun(['--rm'], ['migrate']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('migrations applied');
    const journal = JSON.parse(readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8')) as {
      entries: unknown[];
    };
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const applied = await client
      .query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')
      .then((r) => r.rows[0]?.n)
      .finally(() => client.end());
    expect(applied).toBe(journal.entries.length);
    const unknown = await platformRun(['--rm'], ['no-such-command']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: docker run <image> <command>');
  }, 120_000);
});

describe('the API and the worker, read-only and non-root', () => {
  const socketGroup = () => String(statSync('/var/run/docker.sock').gid);
  // The engine's socket: the API's readiness and the worker's runtime need it (docs/images.md says what that grants).
  const engine = () => ['-v', '/var/run/docker.sock:/var/run/docker.sock', '--group-add', socketGroup()];
  const ready = () =>
    fetch(`http://127.0.0.1:${apiPort}/api/v1/ready`).then(async (res) => {
      const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
      return res.status === 200 && body.status === 'ready' ? body : undefined;
    });

  it('start from `api` and `worker`, answer /ready and turn healthy', async () => {
    for (const [container, role] of [
      [API, 'api'],
      [WORKER, 'worker'],
    ] as const) {
      const out = await platformRun(['-d', '--name', container, ...FAST_HEALTH, ...engine()], [role]);
      expect(out.code, out.stderr).toBe(0);
    }
    // ready, not degraded: the worker in its container beats under the same queue prefix.
    const body = await waitFor('the API to answer ready', ready, 90_000, [API, WORKER]);
    expect(body.checks).toMatchObject({
      postgres: { status: 'ok' },
      redis: { status: 'ok' },
      docker: { status: 'ok' },
      worker: { status: 'ok' },
    });
    for (const container of [API, WORKER]) {
      const status = await waitFor(
        `${container} to turn healthy`,
        async () => ((await health(container)) === 'healthy' ? 'healthy' : undefined),
        60_000,
        [container],
      );
      expect(status).toBe('healthy');
    }
  }, 240_000);

  it('run as uid 10001 and cannot write outside /tmp', async () => {
    for (const container of [API, WORKER]) {
      expect(await pid1Uid(container), container).toBe(10001);
      expect(await writeResults(container, ['/probe', '/app/probe', '/app/apps/server/dist/probe', '/tmp/probe'])).toEqual({
        '/probe': 'EROFS',
        '/app/probe': 'EROFS',
        '/app/apps/server/dist/probe': 'EROFS',
        '/tmp/probe': 'ok',
      });
    }
    const caps = await nodeIn(
      API,
      "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8').match(/^CapEff:\\s+(\\w+)/m)[1])",
    );
    expect(caps).toBe('0000000000000000');
  }, 60_000);

  it("the worker image's pg_dump dumps the platform database over the network", async () => {
    // What the backup job runs (tenant-db/postgres/postgres-dump.ts), with the image's own binary and libraries.
    const out = await dockerOutcome(['exec', '-e', 'PGCONNECT_TIMEOUT=10', WORKER, 'pg_dump', '--schema-only', '--dbname', databaseUrl]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('CREATE TABLE public.');
  }, 60_000);

  it('the probe fails where nothing answers, and asks readiness when told', async () => {
    // The same probe, pointed at a port nothing listens on: it must fail, or "healthy" above proves nothing.
    const probe = (container: string, env: string[], args: string[] = []) =>
      dockerOutcome(['exec', ...env.flatMap((e) => ['-e', e]), container, '/usr/local/bin/node', '/app/bin/healthcheck.mjs', ...args]);
    const dead = await probe(API, [`PORT=${await freePort()}`]);
    expect(dead.code).toBe(1);
    expect(dead.stdout).toContain('ECONNREFUSED');
    const anyPort = await probe(WORKER, ['WORKER_METRICS_PORT=0']);
    expect(anyPort.code).toBe(1);
    expect(anyPort.stdout).toContain('give the worker a fixed port');
    const ready = await probe(API, [], ['ready']);
    expect(ready.stdout).toBe('ready: /api/v1/ready answered 200');
    expect(ready.code).toBe(0);
  }, 30_000);

  it('stop gracefully on SIGTERM (exit 0)', async () => {
    await docker(['stop', '--time', '20', API, WORKER], { timeoutMs: 60_000 });
    for (const container of [API, WORKER]) {
      const state = await inspect<{ ExitCode: number; OOMKilled: boolean }>(container, '.State');
      expect(state.ExitCode, await logsOf(container)).toBe(0);
    }
  }, 90_000);
});

describe('the SPA image', () => {
  let webPort: number;
  let adminPort: number;
  const get = (port: number, path: string) =>
    fetch(`http://127.0.0.1:${port}${path}`).then(async (res) => ({ status: res.status, headers: res.headers, body: await res.text() }));
  const assetOf = (html: string) => {
    const match = /(?:src|href)="(\/assets\/[^"]+\.js)"/.exec(html);
    if (!match?.[1]) throw new Error(`no /assets/*.js in ${html.slice(0, 400)}`);
    return match[1];
  };

  beforeAll(async () => {
    await docker([
      'run',
      '-d',
      '--name',
      WEB_C,
      '--label',
      `saasimg.test=${tag}`,
      ...HARDENED,
      ...FAST_HEALTH,
      '--publish',
      '127.0.0.1::8080',
      '--publish',
      '127.0.0.1::8081',
      WEB,
    ]);
    const portOf = async (p: number) => Number((await docker(['port', WEB_C, `${p}/tcp`])).split('\n')[0]?.split(':').pop());
    webPort = await portOf(8080);
    adminPort = await portOf(8081);
  }, 60_000);

  it("serves each SPA's index.html, its hashed assets for a year, and index.html for its routes", async () => {
    for (const [port, dist] of [
      [() => webPort, 'apps/web/dist'],
      [() => adminPort, 'apps/admin/dist'],
    ] as const) {
      const index = readFileSync(`${ROOT}${dist}/index.html`, 'utf8');
      const home = await waitFor('nginx to answer', () => get(port(), '/').then((r) => (r.status === 200 ? r : undefined)), 30_000, [
        WEB_C,
      ]);
      expect(home.body).toBe(index);
      expect(home.headers.get('cache-control')).toBe('no-cache');
      const asset = await get(port(), assetOf(index));
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect(asset.body).toBe(readFileSync(`${ROOT}${dist}${assetOf(index)}`, 'utf8'));
      const route = await get(port(), '/some/client/route');
      expect(route.status).toBe(200);
      expect(route.body).toBe(index);
      expect((await get(port(), '/assets/missing-0000.js')).status).toBe(404);
    }
  }, 60_000);

  it('turns healthy, runs nginx as uid 10001 and cannot write outside /tmp', async () => {
    await waitFor('the web container to turn healthy', async () => ((await health(WEB_C)) === 'healthy' ? true : undefined), 30_000, [
      WEB_C,
    ]);
    expect(await pid1Uid(WEB_C)).toBe(10001);
    expect(await writeResults(WEB_C, ['/probe', '/srv/web/probe', '/etc/nginx/probe', '/tmp/probe'])).toEqual({
      '/probe': 'EROFS',
      '/srv/web/probe': 'EROFS',
      '/etc/nginx/probe': 'EROFS',
      '/tmp/probe': 'ok',
    });
  }, 60_000);
});
