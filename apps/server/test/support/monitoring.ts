import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertName } from '../../src/monitoring/alert-rules.js';
import {
  renderAlertmanagerConfig,
  renderAlertRules,
  renderPrometheusConfig,
  type ScrapeTargets,
} from '../../src/monitoring/monitoring-config.js';
import { freePort } from './nginx.js';

export interface MonitoringOptions {
  /** `host:port` per scrape job, e.g. `{ api: ['127.0.0.1:9464'], worker: ['127.0.0.1:9465'] }`. */
  targets: ScrapeTargets;
  /** The platform's alert intake (`http://127.0.0.1:<internal port>/alerts/alertmanager`): Alertmanager is started only with it. */
  webhookUrl?: string;
  webhookToken?: string;
  /** `for` of every alert rule (or per rule); default 5s. */
  ruleFor?: string | Partial<Record<AlertName, string>>;
  /** Scrape and evaluation interval; default 1s. */
  interval?: string;
}

export interface Monitoring {
  prometheusUrl: string;
  /** Undefined when no webhook was given (no Alertmanager). */
  alertmanagerUrl: string | undefined;
  /** Output of the processes, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

type Child = ChildProcess & { output: string[] };

function run(command: string, args: string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }) as Child;
  child.output = [];
  const keep = (chunk: Buffer) => {
    child.output.push(chunk.toString());
    if (child.output.length > 200) child.output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitReady(url: string, child: Child, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${child.output.join('')}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${child.output.join('')}`);
}

/**
 * Real Prometheus (and Alertmanager when a webhook is given), from the Debian packages, on free
 * loopback ports with temporary data, configured by the same renderer as `npm run up`
 * (src/monitoring/monitoring-config.ts) with short intervals.
 */
export async function startMonitoring(options: MonitoringOptions): Promise<Monitoring> {
  const dir = await mkdtemp(join(tmpdir(), 'saas-monitoring-'));
  const interval = options.interval ?? '1s';
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let alertmanagerUrl: string | undefined;
    if (options.webhookUrl) {
      const amPort = await freePort();
      const clusterPort = await freePort();
      const tokenFile = join(dir, 'webhook-token');
      await writeFile(tokenFile, options.webhookToken ?? '', { mode: 0o600 });
      await chmod(tokenFile, 0o600);
      await writeFile(
        join(dir, 'alertmanager.yml'),
        renderAlertmanagerConfig({
          webhookUrl: options.webhookUrl,
          webhookTokenFile: tokenFile,
          groupWait: '1s',
          groupInterval: '1s',
          repeatInterval: '1m',
        }),
      );
      const am = run('prometheus-alertmanager', [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--cluster.listen-address=127.0.0.1:${clusterPort}`,
        '--cluster.peer-timeout=1s',
      ]);
      children.push(am);
      alertmanagerUrl = `http://127.0.0.1:${amPort}`;
      await waitReady(`${alertmanagerUrl}/-/ready`, am, 'alertmanager');
    }

    const port = await freePort();
    const rulesFile = join(dir, 'alert-rules.yml');
    await writeFile(rulesFile, renderAlertRules({ ruleFor: options.ruleFor ?? '5s' }));
    await writeFile(
      join(dir, 'prometheus.yml'),
      renderPrometheusConfig({
        targets: options.targets,
        scrapeInterval: interval,
        evaluationInterval: interval,
        rulesFile,
        alertmanagers: alertmanagerUrl ? [alertmanagerUrl.replace('http://', '')] : [],
      }),
    );
    const prometheus = run('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Firing and resolved alerts reach Alertmanager at once, not after the default 1 minute.
      '--rules.alert.resend-delay=1s',
      '--web.enable-lifecycle',
    ]);
    children.push(prometheus);
    const prometheusUrl = `http://127.0.0.1:${port}`;
    await waitReady(`${prometheusUrl}/-/ready`, prometheus, 'prometheus');
    return { prometheusUrl, alertmanagerUrl, output: () => children.map((c) => c.output.join('')).join('\n---\n'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
