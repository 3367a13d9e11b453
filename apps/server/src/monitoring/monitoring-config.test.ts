import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERT_NAMES, DEFAULT_RULE_FOR } from './alert-rules.js';
import { renderStackMonitoringConfig, STACK_PATHS } from './monitoring-cli.js';
import { renderAlertmanagerConfig, renderAlertRules, renderPrometheusConfig } from './monitoring-config.js';

const exec = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monitoring-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a checker of the Debian packages; its output is the failure message. */
async function check(command: string, args: string[]) {
  const result = await exec(command, args).then(
    (r) => ({ ok: true, out: r.stdout + r.stderr }),
    (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
  );
  expect(result.ok, result.out).toBe(true);
  return result.out;
}

describe('alert rules', () => {
  it('pass promtool and carry every fixed name with severity, summary and description', async () => {
    const file = join(dir, 'rules.yml');
    await writeFile(file, renderAlertRules());
    const out = await check('promtool', ['check', 'rules', file]);
    expect(out).toContain(`${ALERT_NAMES.length} rules found`);
    const rules = parse(renderAlertRules()).groups[0].rules as {
      alert: string;
      for: string;
      labels: { severity: string };
      annotations: Record<string, string>;
    }[];
    expect(rules.map((r) => r.alert)).toEqual([...ALERT_NAMES]);
    for (const rule of rules) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description).toBeTruthy();
      expect(rule.for).toBe(DEFAULT_RULE_FOR[rule.alert as keyof typeof DEFAULT_RULE_FOR]);
    }
  });

  it('take shorter `for` durations, for all rules or one', () => {
    const all = parse(renderAlertRules({ ruleFor: '5s' })).groups[0].rules as { for: string }[];
    expect(new Set(all.map((r) => r.for))).toEqual(new Set(['5s']));
    const one = parse(renderAlertRules({ ruleFor: { WorkerDown: '2s' } })).groups[0].rules as { alert: string; for: string }[];
    expect(one.find((r) => r.alert === 'WorkerDown')?.for).toBe('2s');
    expect(one.find((r) => r.alert === 'DiskAlmostFull')?.for).toBe(DEFAULT_RULE_FOR.DiskAlmostFull);
  });

  it('behave as specified on sample series (promtool test rules)', async () => {
    const rules = join(dir, 'unit-rules.yml');
    await writeFile(rules, renderAlertRules({ ruleFor: '1m' }));
    const tests = join(dir, 'rules.test.yml');
    // WorkerDown fires per target that is down, and once (no instance) when no worker target exists;
    // DiskAlmostFull only above 85%; CertificateExpiring under 14 days.
    await writeFile(
      tests,
      JSON.stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: 'up{job="worker",instance="w1"}', values: '1 1 0 0 0 0' },
              { series: 'up{job="api",instance="a1"}', values: '1x6' },
              { series: 'node_filesystem_avail_bytes{fstype="ext4",mountpoint="/"}', values: '10x6' },
              { series: 'node_filesystem_size_bytes{fstype="ext4",mountpoint="/"}', values: '100x6' },
              { series: 'node_filesystem_avail_bytes{fstype="ext4",mountpoint="/data"}', values: '50x6' },
              { series: 'node_filesystem_size_bytes{fstype="ext4",mountpoint="/data"}', values: '100x6' },
              { series: 'saas_certificate_expiry_timestamp_seconds{domain="soon.example.com"}', values: `${10 * 86400}x6` },
              { series: 'saas_certificate_expiry_timestamp_seconds{domain="later.example.com"}', values: `${60 * 86400}x6` },
            ],
            alert_rule_test: [
              { eval_time: '1m', alertname: 'WorkerDown', exp_alerts: [] },
              {
                eval_time: '4m',
                alertname: 'WorkerDown',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical', job: 'worker', instance: 'w1' },
                    exp_annotations: {
                      summary: 'Worker w1 is down',
                      description: parse(renderAlertRules()).groups[0].rules[0].annotations.description,
                    },
                  },
                ],
              },
              {
                eval_time: '3m',
                alertname: 'DiskAlmostFull',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', fstype: 'ext4', mountpoint: '/' },
                    exp_annotations: {
                      summary: 'Disk / is 90% full',
                      description: parse(renderAlertRules()).groups[0].rules[2].annotations.description,
                    },
                  },
                ],
              },
            ],
          },
          {
            // Two API processes report the same gauges: one alert per domain, and counts never added up.
            interval: '1m',
            input_series: [
              ...['a1', 'a2'].flatMap((instance) => [
                { series: `saas_queue_jobs{job="api",instance="${instance}",queue="mail",state="waiting"}`, values: '60x4' },
                { series: `saas_queue_jobs{job="api",instance="${instance}",queue="instances",state="waiting"}`, values: '150x4' },
                {
                  series: `saas_certificate_expiry_timestamp_seconds{job="api",instance="${instance}",domain="soon.example.com"}`,
                  values: `${10 * 86400}x4`,
                },
              ]),
            ],
            alert_rule_test: [
              {
                eval_time: '3m',
                alertname: 'QueueBackingUp',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', queue: 'instances' },
                    exp_annotations: {
                      summary: 'Queue instances has 150 waiting jobs',
                      description: parse(renderAlertRules()).groups[0].rules[1].annotations.description,
                    },
                  },
                ],
              },
              {
                eval_time: '3m',
                alertname: 'CertificateExpiring',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', domain: 'soon.example.com' },
                    exp_annotations: {
                      summary: `Certificate for soon.example.com expires in 9d 23h 57m 0s`,
                      description: parse(renderAlertRules()).groups[0].rules[3].annotations.description,
                    },
                  },
                ],
              },
            ],
          },
          {
            interval: '1m',
            input_series: [{ series: 'up{job="api",instance="a1"}', values: '1x4' }],
            alert_rule_test: [
              {
                eval_time: '3m',
                alertname: 'WorkerDown',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'critical' },
                    exp_annotations: {
                      summary: 'Worker is down',
                      description: parse(renderAlertRules()).groups[0].rules[0].annotations.description,
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    await check('promtool', ['test', 'rules', tests]);
  });
});

describe('prometheus.yml', () => {
  it('passes promtool with every job, and leaves out jobs without targets', async () => {
    const rulesFile = join(dir, 'alert-rules.yml');
    await writeFile(rulesFile, renderAlertRules());
    const file = join(dir, 'prometheus.yml');
    const targets = {
      api: ['127.0.0.1:9464'],
      worker: ['127.0.0.1:9465'],
      node: ['127.0.0.1:9100'],
      postgres: ['127.0.0.1:9187'],
      redis: ['127.0.0.1:9121'],
      nginx: ['127.0.0.1:9113'],
      edge_log: ['127.0.0.1:3903'],
      alertmanager: ['127.0.0.1:9093'],
      prometheus: ['127.0.0.1:9090'],
    };
    await writeFile(file, renderPrometheusConfig({ targets, rulesFile, alertmanagers: ['127.0.0.1:9093'] }));
    await check('promtool', ['check', 'config', file]);
    const jobs = parse(renderPrometheusConfig({ targets: { api: ['a:1'], worker: [] }, rulesFile, scrapeInterval: '1s' }));
    expect(jobs.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(['api']);
    expect(jobs.global).toMatchObject({ scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' });
    expect(jobs.alerting).toBeUndefined();
  });
});

describe("the swarm stack's configuration (deploy/stack.monitoring.yaml)", () => {
  it('finds every replica of the services by DNS, scrapes itself on loopback and passes promtool and amtool', async () => {
    const files = renderStackMonitoringConfig({ METRICS_PORT: '9500' });
    const prometheus = parse(files['prometheus.yml']);
    const jobs = Object.fromEntries(
      prometheus.scrape_configs.map((j: { job_name: string; dns_sd_configs?: unknown; static_configs?: unknown }) => [
        j.job_name,
        j.dns_sd_configs ?? j.static_configs,
      ]),
    );
    expect(jobs.api).toEqual([{ names: ['api'], type: 'A', port: 9500, refresh_interval: '30s' }]);
    expect(jobs.worker).toEqual([{ names: ['worker'], type: 'A', port: 9470, refresh_interval: '30s' }]);
    expect(jobs.node).toEqual([expect.objectContaining({ names: ['node-exporter'], port: 9100 })]);
    expect(jobs.prometheus).toEqual([{ targets: ['127.0.0.1:9090'] }]);
    // The edge's nginx status and access log are inside the edge's containers: not scraped in the stack.
    expect(Object.keys(jobs).sort()).toEqual(['alertmanager', 'api', 'node', 'postgres', 'prometheus', 'redis', 'worker']);
    expect(prometheus.rule_files).toEqual([STACK_PATHS.rulesFile]);
    expect(prometheus.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    const alertmanager = parse(files['alertmanager.yml']);
    expect(alertmanager.receivers[0].webhook_configs[0]).toMatchObject({
      url: 'http://api:9500/alerts/alertmanager',
      http_config: { authorization: { credentials_file: STACK_PATHS.webhookTokenFile } },
    });
    // The checkers read the files where the stack mounts them: here, in the temporary directory.
    const rulesFile = join(dir, 'stack-rules.yml');
    await writeFile(rulesFile, files['alert-rules.yml']);
    await writeFile(join(dir, 'stack-prometheus.yml'), files['prometheus.yml'].replace(STACK_PATHS.rulesFile, rulesFile));
    await check('promtool', ['check', 'config', join(dir, 'stack-prometheus.yml')]);
    await writeFile(join(dir, 'stack-alertmanager.yml'), files['alertmanager.yml']);
    await check('amtool', ['check-config', join(dir, 'stack-alertmanager.yml')]);
    expect(() => renderStackMonitoringConfig({ METRICS_PORT: 'none' })).toThrow();
  });
});

describe('alertmanager.yml', () => {
  it('passes amtool, sends resolved notifications and keeps the token in its file', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'a-secret-token-of-the-webhook', { mode: 0o600 });
    const text = renderAlertmanagerConfig({ webhookUrl: 'http://127.0.0.1:9464/alerts/alertmanager', webhookTokenFile: tokenFile });
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, text);
    await check('amtool', ['check-config', file]);
    expect(text).not.toContain('a-secret-token');
    const config = parse(text);
    expect(config.receivers[0].webhook_configs[0]).toMatchObject({
      send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
    });
  });
});
