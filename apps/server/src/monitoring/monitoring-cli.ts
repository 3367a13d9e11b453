import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { monitoringEnvShape } from '../config/monitoring-env.js';
import { ALERT_WEBHOOK_PATH } from './alerts.routes.js';
import { renderAlertmanagerConfig, renderAlertRules, renderPrometheusConfig, type ScrapeTargets } from './monitoring-config.js';

/** Loopback ports of the exporters `npm run up` starts (the Debian packages' defaults). */
export const EXPORTER_PORTS = { node: 9100, postgres: 9187, redis: 9121, nginx: 9113, mtail: 3903 } as const;

const portOf = (url: string | undefined, fallback: number) => (url ? Number(new URL(url).port) || fallback : fallback);
// A listener on all addresses is scraped over loopback.
const loopback = (host: string) => (host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host);

/** Where everything listens, from the platform's configuration: the one place the ports are decided. */
export function monitoringPorts(config: Config) {
  return {
    prometheus: portOf(config.monitoring.prometheusUrl, 9090),
    alertmanager: portOf(config.monitoring.alertmanagerUrl, 9093),
    ...EXPORTER_PORTS,
    edgeStatus: config.monitoring.edgeStatusPort,
  };
}

export function monitoringTargets(config: Config): ScrapeTargets {
  const ports = monitoringPorts(config);
  const host = loopback(config.metrics.host);
  const local = (port: number) => [`127.0.0.1:${port}`];
  return {
    api: config.metrics.ports.map((port) => `${host}:${port}`),
    worker: [`${host}:${config.monitoring.workerMetricsPort}`],
    node: local(ports.node),
    postgres: local(ports.postgres),
    redis: local(ports.redis),
    nginx: local(ports.nginx),
    edge_log: local(ports.mtail),
    alertmanager: local(ports.alertmanager),
    prometheus: local(ports.prometheus),
  };
}

async function writeAtomic(path: string, text: string, mode = 0o644) {
  await writeFile(`${path}.tmp`, text, { mode });
  await chmod(`${path}.tmp`, mode);
  await rename(`${path}.tmp`, path);
}

/**
 * `cli.js monitoring-config --out <dir>`: writes prometheus.yml, alert-rules.yml, alertmanager.yml,
 * the webhook's token file (0600) and ports.env (the ports, for scripts/lib/monitoring.sh) from the
 * platform's configuration. Prints one JSON line.
 */
export async function monitoringConfigCommand(config: Config, args: string[]): Promise<number> {
  const at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : undefined;
  if (!out) {
    process.stderr.write('usage: cli.js monitoring-config --out <dir>\n');
    return 2;
  }
  const dir = isAbsolute(out) ? out : resolve(out);
  await mkdir(dir, { recursive: true });
  const ports = monitoringPorts(config);
  const rulesFile = join(dir, 'alert-rules.yml');
  const tokenFile = join(dir, 'webhook-token');
  const token = config.monitoring.webhookToken;
  if (!token) process.stderr.write('monitoring: ALERTMANAGER_WEBHOOK_TOKEN is unset: the platform refuses every alert\n');
  await writeAtomic(tokenFile, token ?? '', 0o600);
  await writeAtomic(rulesFile, renderAlertRules());
  await writeAtomic(
    join(dir, 'prometheus.yml'),
    renderPrometheusConfig({
      targets: monitoringTargets(config),
      rulesFile,
      alertmanagers: [`127.0.0.1:${ports.alertmanager}`],
    }),
  );
  await writeAtomic(
    join(dir, 'alertmanager.yml'),
    renderAlertmanagerConfig({
      // The first API process's; Alertmanager retries while it restarts.
      webhookUrl: `http://${loopback(config.metrics.host)}:${config.metrics.ports[0] ?? config.metrics.port}${ALERT_WEBHOOK_PATH}`,
      webhookTokenFile: tokenFile,
    }),
  );
  const env = Object.entries(ports)
    .map(([name, port]) => `MON_PORT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}=${port}`)
    .join('\n');
  await writeAtomic(join(dir, 'ports.env'), `# Written by cli.js monitoring-config.\n${env}\n`);
  process.stdout.write(`${JSON.stringify({ dir, ports })}\n`);
  return 0;
}

/**
 * Where Prometheus, Alertmanager and the rules sit in deploy/stack.monitoring.yaml's containers (Docker configs
 * and secrets), and the services they scrape there: names on the stack's overlay network, each resolved by DNS
 * at every refresh so every replica of a dnsrr service is a target of its own.
 */
export const STACK_PATHS = {
  rulesFile: '/etc/prometheus/alert-rules.yml',
  webhookTokenFile: '/run/secrets/alertmanager_webhook_token',
} as const;
const STACK_SERVICE_TARGETS = {
  node: 'node-exporter',
  postgres: 'postgres-exporter',
  redis: 'redis-exporter',
  alertmanager: 'alertmanager',
} as const;

// Only what the stack's configuration depends on: the platform's listeners (deploy/stack.yaml sets them), not
// its secrets, so that scripts/deploy-stack.sh renders it without them.
const stackEnv = z.object({
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
  WORKER_METRICS_PORT: monitoringEnvShape.WORKER_METRICS_PORT,
});

/** The stack's prometheus.yml, alert rules and alertmanager.yml (deploy/stack.monitoring.yaml). */
export function renderStackMonitoringConfig(env: NodeJS.ProcessEnv) {
  const parsed = stackEnv.parse(env);
  const ports = { prometheus: 9090, alertmanager: 9093, ...EXPORTER_PORTS };
  const targets: ScrapeTargets = {
    api: [`api:${parsed.METRICS_PORT}`],
    worker: [`worker:${parsed.WORKER_METRICS_PORT}`],
    ...Object.fromEntries(
      Object.entries(STACK_SERVICE_TARGETS).map(([job, service]) => [job, [`${service}:${ports[job as keyof typeof ports]}`]]),
    ),
    prometheus: [`127.0.0.1:${ports.prometheus}`],
  };
  return {
    'prometheus.yml': renderPrometheusConfig({
      targets,
      rulesFile: STACK_PATHS.rulesFile,
      alertmanagers: [`alertmanager:${ports.alertmanager}`],
      dnsJobs: ['api', 'worker', 'node', 'postgres', 'redis', 'alertmanager'],
    }),
    'alert-rules.yml': renderAlertRules(),
    'alertmanager.yml': renderAlertmanagerConfig({
      // One API task's; Alertmanager retries on another while one restarts.
      webhookUrl: `http://api:${parsed.METRICS_PORT}${ALERT_WEBHOOK_PATH}`,
      webhookTokenFile: STACK_PATHS.webhookTokenFile,
    }),
  };
}

/**
 * `cli.js monitoring-config --stack --out <dir>`: the stack's files (no token file: the stack mounts the
 * alertmanager_webhook_token secret). Reads METRICS_PORT and WORKER_METRICS_PORT only. Prints one JSON line.
 */
export async function monitoringStackConfigCommand(env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
  const at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : undefined;
  if (!out) {
    process.stderr.write('usage: cli.js monitoring-config --stack --out <dir>\n');
    return 2;
  }
  const parsed = stackEnv.safeParse(env);
  if (!parsed.success) {
    process.stderr.write(`monitoring-config: ${z.prettifyError(parsed.error)}\n`);
    return 2;
  }
  const dir = isAbsolute(out) ? out : resolve(out);
  await mkdir(dir, { recursive: true });
  const files = renderStackMonitoringConfig(env);
  for (const [name, text] of Object.entries(files)) await writeAtomic(join(dir, name), text);
  process.stdout.write(`${JSON.stringify({ dir, files: Object.keys(files) })}\n`);
  return 0;
}
