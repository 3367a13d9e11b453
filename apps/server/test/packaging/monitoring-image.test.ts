import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderStackMonitoringConfig } from '../../src/monitoring/monitoring-cli.js';
import { renderAlertRules, renderPrometheusConfig } from '../../src/monitoring/monitoring-config.js';
import { freePort } from '../support/nginx.js';
import { docker, dockerOutcome, health, inspect, nodeIn, pid1Uid, waitFor, writeResults } from './image-helpers.js';

/**
 * The monitoring image (docs/images.md) as deploy/stack.monitoring.yaml runs it, built through the offline path
 * (scripts/build-images.sh --only monitoring: the Debian packages' binaries on the local base; cached by input
 * hash): Prometheus, Alertmanager and the node, PostgreSQL and Redis exporters each start read-only and
 * non-root, turn healthy through the image's own probe and answer; Prometheus scrapes the exporters and finds
 * Alertmanager. The stack's own Prometheus configuration names services on the swarm's network, so Prometheus runs
 * here on one with the same exporters at loopback addresses; the stack's files are checked by promtool in the
 * image. Host network, as images.test.ts explains: PostgreSQL and Redis listen on loopback.
 */

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const IMAGE = `saas-monitoring:${VERSION}`;
const tag = randomUUID().slice(0, 8);
const name = (role: string) => `saasmon-${role}-${tag}`;
const HARDENED = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'host'];
const FAST_HEALTH = ['--health-interval', '1s', '--health-start-period', '30s'];

type Role = 'prometheus' | 'alertmanager' | 'node-exporter' | 'postgres-exporter' | 'redis-exporter';
const ROLES: Role[] = ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter', 'redis-exporter'];
const ports = {} as Record<Role, number>;
let dir: string;
let stackDir: string;

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
};

/** `docker run -d` of one tool of the image, as the stack runs it: read-only, no capabilities, the image's user. */
const start = (role: Role, args: string[], toolArgs: string[] = []) =>
  docker([
    'run',
    '--detach',
    '--name',
    name(role),
    '--label',
    `saasmon.test=${tag}`,
    ...HARDENED,
    ...FAST_HEALTH,
    ...args,
    IMAGE,
    role,
    `--web.listen-address=127.0.0.1:${ports[role]}`,
    ...toolArgs,
  ]);

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--only', 'monitoring'], {
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  console.info(`${stdout.trim()} (script: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const role of ROLES) ports[role] = await freePort();

  // Readable by the image's user (10001): the stack's configs and secrets are mounted 0444.
  dir = await mkdtemp(join(tmpdir(), 'saasmon-'));
  await chmod(dir, 0o755);
  const file = async (path: string, text: string) => {
    await writeFile(join(dir, path), text);
    await chmod(join(dir, path), 0o644);
  };
  const stack = renderStackMonitoringConfig({});
  await file('alert-rules.yml', renderAlertRules());
  await file(
    'prometheus.yml',
    renderPrometheusConfig({
      targets: {
        node: [`127.0.0.1:${ports['node-exporter']}`],
        postgres: [`127.0.0.1:${ports['postgres-exporter']}`],
        redis: [`127.0.0.1:${ports['redis-exporter']}`],
        alertmanager: [`127.0.0.1:${ports.alertmanager}`],
        prometheus: [`127.0.0.1:${ports.prometheus}`],
      },
      rulesFile: '/etc/prometheus/alert-rules.yml',
      alertmanagers: [`127.0.0.1:${ports.alertmanager}`],
      scrapeInterval: '1s',
    }),
  );
  await file('alertmanager.yml', stack['alertmanager.yml']);
  await file('webhook-token', 'a-token-of-the-monitoring-image-test');
  await file('database_url', `${process.env.TEST_DATABASE_URL}\n`);
  await file('redis_url', `${process.env.TEST_REDIS_URL}\n`);
  stackDir = join(dir, 'stack');
  await exec('mkdir', ['-m', '755', stackDir]);
  for (const [path, text] of Object.entries(stack)) {
    await writeFile(join(stackDir, path), text);
    await chmod(join(stackDir, path), 0o644);
  }

  // Their data in anonymous volumes: a new volume starts as a copy of the image's directory (owned by 10001).
  await start('prometheus', [
    '--mount',
    `type=bind,source=${dir}/prometheus.yml,target=/etc/prometheus/prometheus.yml,readonly`,
    '--mount',
    `type=bind,source=${dir}/alert-rules.yml,target=/etc/prometheus/alert-rules.yml,readonly`,
    '--mount',
    'type=volume,target=/prometheus',
  ]);
  await start('alertmanager', [
    '--mount',
    `type=bind,source=${dir}/alertmanager.yml,target=/etc/alertmanager/alertmanager.yml,readonly`,
    '--mount',
    `type=bind,source=${dir}/webhook-token,target=/run/secrets/alertmanager_webhook_token,readonly`,
    '--mount',
    'type=volume,target=/alertmanager',
  ]);
  await start(
    'node-exporter',
    ['--mount', 'type=bind,source=/proc,target=/host/proc,readonly', '--mount', 'type=bind,source=/sys,target=/host/sys,readonly'],
    ['--path.procfs=/host/proc', '--path.sysfs=/host/sys'],
  );
  await start('postgres-exporter', [
    '--mount',
    `type=bind,source=${dir}/database_url,target=/run/secrets/database_url,readonly`,
    '-e',
    'DATA_SOURCE_NAME_FILE=/run/secrets/database_url',
  ]);
  await start('redis-exporter', [
    '--mount',
    `type=bind,source=${dir}/redis_url,target=/run/secrets/redis_url,readonly`,
    '-e',
    'REDIS_ADDR_FILE=/run/secrets/redis_url',
  ]);
}, 600_000);

afterAll(async () => {
  for (const role of ROLES) await dockerOutcome(['rm', '--force', '--volumes', name(role)]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('the monitoring image', () => {
  it('carries the labels, user and healthcheck of the other images, and the Debian versions of its tools', async () => {
    const config = await inspect<{ User: string; Labels: Record<string, string>; Healthcheck?: { Test: string[] } }>(IMAGE, '.Config');
    expect(config.User).toBe('10001:10001');
    expect(config.Labels['org.opencontainers.image.title']).toBe('saas-monitoring');
    expect(config.Labels['org.opencontainers.image.version']).toBe(VERSION);
    expect(config.Labels['org.opencontainers.image.revision']).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(config.Labels['org.odoo-saas.input-hash']).toMatch(/^[0-9a-f]{32}$/);
    expect(config.Labels['org.odoo-saas.monitoring.tools']).toMatch(/prometheus=2\.\S+ prometheus-alertmanager=0\.\S+/);
    expect(config.Healthcheck?.Test).toEqual(['CMD', '/usr/local/bin/node', '/usr/local/lib/saas/monitoring-healthcheck.mjs']);
  });

  it('a second build with unchanged inputs reuses the image', async () => {
    const before = await inspect<string>(IMAGE, '.Id');
    const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--only', 'monitoring'], { timeout: 120_000 });
    expect(stdout).toContain(`${IMAGE} up to date`);
    expect(await inspect<string>(IMAGE, '.Id')).toBe(before);
  }, 120_000);

  it("accepts the stack's Prometheus configuration (promtool in the image), and refuses an unknown tool", async () => {
    const check = await dockerOutcome([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${stackDir}:/etc/prometheus:ro`,
      IMAGE,
      'promtool',
      'check',
      'config',
      '/etc/prometheus/prometheus.yml',
    ]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: 1 rule files found/);
    const unknown = await dockerOutcome(['run', '--rm', '--network', 'none', IMAGE, 'sh']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: docker run <image> <prometheus|alertmanager|');
  });

  it('runs each tool read-only as uid 10001; each turns healthy through its own probe and answers', async () => {
    for (const role of ROLES) {
      await waitFor(`${role} healthy`, async () => ((await health(name(role))) === 'healthy' ? true : undefined), 40_000, [name(role)]);
      expect(await pid1Uid(name(role)), role).toBe(10001);
      expect(await writeResults(name(role), ['/usr/local/bin/x', '/etc/prometheus/x']), role).toEqual({
        '/usr/local/bin/x': 'EROFS',
        '/etc/prometheus/x': 'EROFS',
      });
    }
    for (const role of ['prometheus', 'alertmanager'] as const) expect((await get(ports[role], '/-/ready')).status, role).toBe(200);
    expect((await get(ports['node-exporter'], '/metrics')).body).toMatch(/^node_load1 /m);
    // The exporters reached PostgreSQL and Redis with the URLs their secrets hold.
    expect((await get(ports['postgres-exporter'], '/metrics')).body).toMatch(/^pg_up 1$/m);
    expect((await get(ports['redis-exporter'], '/metrics')).body).toMatch(/^redis_up 1$/m);
    // What the tools log (docker logs) never holds the secrets' contents.
    const logs = await dockerOutcome(['logs', name('postgres-exporter')]);
    const password = new URL(String(process.env.TEST_DATABASE_URL)).password;
    if (password) expect(logs.stdout + logs.stderr).not.toContain(password);
  }, 120_000);

  it('Prometheus scrapes every exporter and itself, and sends to Alertmanager', async () => {
    const targets = await waitFor(
      'every target up',
      async () => {
        const { body } = await get(ports.prometheus, '/api/v1/targets');
        const active = (JSON.parse(body) as { data: { activeTargets: { labels: { job: string }; health: string }[] } }).data.activeTargets;
        return active.length === 5 && active.every((t) => t.health === 'up') ? active.map((t) => t.labels.job).sort() : undefined;
      },
      30_000,
      [name('prometheus')],
    );
    expect(targets).toEqual(['alertmanager', 'node', 'postgres', 'prometheus', 'redis']);
    const { body } = await get(ports.prometheus, '/api/v1/alertmanagers');
    expect(parse(body).data.activeAlertmanagers).toEqual([{ url: `http://127.0.0.1:${ports.alertmanager}/api/v2/alerts` }]);
  }, 60_000);

  it('the probe fails when the tool stops answering; TERM stops a tool with exit 0', async () => {
    const c = name('redis-exporter');
    const pid = await nodeIn(
      c,
      "const fs=require('fs');process.stdout.write(fs.readdirSync('/proc').filter((p)=>/^\\d+$/.test(p)).find((p)=>{try{return fs.readlinkSync('/proc/'+p+'/exe')==='/usr/local/bin/redis-exporter'}catch{return false}})??'')",
    );
    expect(pid).toMatch(/^\d+$/);
    // Frozen (SIGSTOP), the tool accepts connections but never answers: the probe times out and fails.
    await nodeIn(c, `process.kill(${pid}, 'SIGSTOP')`);
    try {
      const probe = await dockerOutcome(['exec', c, '/usr/local/bin/node', '/usr/local/lib/saas/monitoring-healthcheck.mjs']);
      expect(probe.code).toBe(1);
      expect(probe.stdout).toContain('redis-exporter at 127.0.0.1');
    } finally {
      await nodeIn(c, `process.kill(${pid}, 'SIGCONT')`);
    }
    const ok = await dockerOutcome(['exec', c, '/usr/local/bin/node', '/usr/local/lib/saas/monitoring-healthcheck.mjs']);
    expect(ok.code, ok.stdout).toBe(0);
    // The launcher passes TERM on and exits with the tool's status.
    const stopped = await dockerOutcome(['stop', '--time', '20', name('alertmanager')]);
    expect(stopped.code).toBe(0);
    expect(await inspect<number>(name('alertmanager'), '.State.ExitCode')).toBe(0);
  }, 60_000);
});
