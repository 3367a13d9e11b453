import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderStackMonitoringConfig } from '../../src/monitoring/monitoring-cli.js';
import { dockerOutcome } from './image-helpers.js';

/**
 * deploy/stack.monitoring.yaml merged over deploy/stack.yaml as scripts/deploy-stack.sh --monitoring deploys them,
 * read back through the engine's own loader (`docker stack config`: interpolation, merge and validation, no swarm
 * needed) with an env file's settings and the configuration the platform renders.
 */

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const HASH = 'f00dfeed1234';

interface Service {
  image?: string;
  command?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  environment?: Record<string, string>;
  secrets?: { source: string }[];
  configs?: { source: string; target: string }[];
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[] };
  networks?: Record<string, unknown>;
  deploy?: { mode?: string; endpoint_mode?: string; placement?: { constraints?: string[] }; update_config?: { order?: string } };
}
interface Stack {
  services: Record<string, Service>;
  configs: Record<string, { name: string; file: string }>;
  secrets: Record<string, { name: string; external: boolean }>;
}

let dir: string;
const settings = {
  SAAS_VERSION: '9.9.9',
  PUBLIC_URL: 'https://cloud.example.com',
  ADMIN_URL: 'https://admin.example.com',
  TENANT_DB_HOST: '10.0.0.5',
  SWARM_NODE_ENGINES: 'node1=tcp://10.0.0.5:2375',
  DOCKER_GID: '999',
  STACK_NAME: 'mon',
};

/** `docker stack config` of the two files with these settings only (not this process's environment). */
const stackConfig = (env: Record<string, string>) =>
  dockerOutcome(['stack', 'config', '-c', `${ROOT}deploy/stack.yaml`, '-c', `${ROOT}deploy/stack.monitoring.yaml`], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...env,
  });

let stack: Stack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saas-stack-monitoring-'));
  await chmod(dir, 0o755);
  for (const [name, text] of Object.entries(renderStackMonitoringConfig({}))) await writeFile(join(dir, name), text);
  const merged = await stackConfig({ ...settings, MONITORING_CONFIG_DIR: dir, MONITORING_CONFIG_HASH: HASH });
  expect(merged.code, merged.stderr).toBe(0);
  stack = parse(merged.stdout) as Stack;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MONITORING = ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter', 'redis-exporter'];

describe('deploy/stack.monitoring.yaml', () => {
  it('adds the monitoring services to the platform, each read-only, non-root, without capabilities, with its healthcheck', () => {
    expect(Object.keys(stack.services).sort()).toEqual([
      'alertmanager',
      'api',
      'edge',
      'node-exporter',
      'postgres-exporter',
      'prometheus',
      'redis-exporter',
      'worker',
    ]);
    for (const name of MONITORING) {
      const service = stack.services[name] as Service;
      expect(service.image, name).toBe('saas-monitoring:9.9.9');
      expect(service.command?.[0], name).toBe(name);
      expect(service, name).toMatchObject({ user: '10001:10001', read_only: true, cap_drop: ['ALL'] });
      expect(service.healthcheck?.test, name).toEqual(['CMD', '/usr/local/bin/node', '/usr/local/lib/saas/monitoring-healthcheck.mjs']);
      expect(Object.keys(service.networks ?? {}), name).toEqual(['platform']);
    }
  });

  it('points the API and the worker at Prometheus and Alertmanager, and keeps the rest of their settings', () => {
    for (const name of ['api', 'worker']) {
      const env = stack.services[name]?.environment ?? {};
      expect(env.PROMETHEUS_URL, name).toBe('http://prometheus:9090');
      expect(env.ALERTMANAGER_URL, name).toBe('http://alertmanager:9093');
      expect(env.DATABASE_URL_FILE, name).toBe('/run/secrets/database_url');
      expect(env.PUBLIC_URL, name).toBe(settings.PUBLIC_URL);
      expect(stack.services[name]?.image, name).toBe('saas-platform:9.9.9');
    }
  });

  it('pins Prometheus and Alertmanager to the labelled node with their volumes, and runs a node exporter per node', () => {
    for (const name of ['prometheus', 'alertmanager']) {
      const service = stack.services[name] as Service;
      expect(service.deploy?.placement?.constraints, name).toEqual(['node.labels.saas.monitoring == true']);
      expect(service.deploy?.update_config?.order, name).toBe('stop-first');
    }
    expect(stack.services.prometheus?.volumes).toEqual([{ type: 'volume', source: 'prometheus-data', target: '/prometheus' }]);
    expect(stack.services.alertmanager?.volumes).toEqual([{ type: 'volume', source: 'alertmanager-data', target: '/alertmanager' }]);
    const node = stack.services['node-exporter'] as Service;
    expect(node.deploy?.mode).toBe('global');
    expect(node.volumes?.map((v) => [v.source, v.target, v.read_only])).toEqual([
      ['/proc', '/host/proc', true],
      ['/sys', '/host/sys', true],
      ['/', '/host/root', true],
    ]);
  });

  it('mounts the rendered files as configs named by their hash, and the passwords as secrets only', () => {
    expect(stack.configs).toEqual({
      prometheus_yml: { name: `mon_prometheus_yml_${HASH}`, file: join(dir, 'prometheus.yml') },
      alert_rules_yml: { name: `mon_alert_rules_yml_${HASH}`, file: join(dir, 'alert-rules.yml') },
      alertmanager_yml: { name: `mon_alertmanager_yml_${HASH}`, file: join(dir, 'alertmanager.yml') },
    });
    expect(stack.services.prometheus?.configs?.map((c) => [c.source, c.target])).toEqual([
      ['prometheus_yml', '/etc/prometheus/prometheus.yml'],
      ['alert_rules_yml', '/etc/prometheus/alert-rules.yml'],
    ]);
    expect(stack.services.alertmanager?.secrets?.map((s) => s.source)).toEqual(['alertmanager_webhook_token']);
    expect(stack.services['postgres-exporter']?.secrets?.map((s) => s.source)).toEqual(['database_url']);
    expect(stack.services['postgres-exporter']?.environment).toEqual({ DATA_SOURCE_NAME_FILE: '/run/secrets/database_url' });
    expect(stack.services['redis-exporter']?.environment).toEqual({ REDIS_ADDR_FILE: '/run/secrets/redis_url' });
    expect(stack.secrets.database_url).toEqual({ name: 'mon_database_url', external: true });
  });

  it('refuses to deploy without the rendered configuration, and an env file may set PROMETHEUS_URL itself', async () => {
    const without = await stackConfig(settings);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/required variable MONITORING_CONFIG_(HASH|DIR) is missing/);
    const own = await stackConfig({
      ...settings,
      MONITORING_CONFIG_DIR: dir,
      MONITORING_CONFIG_HASH: HASH,
      PROMETHEUS_URL: 'https://prometheus.example.com',
    });
    expect(own.code, own.stderr).toBe(0);
    expect((parse(own.stdout) as Stack).services.api?.environment?.PROMETHEUS_URL).toBe('https://prometheus.example.com');
  });
});
