import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricChartsDto } from '../../src/monitoring/metrics.schemas.js';
import { startWorkerMetrics } from '../../src/monitoring/worker-metrics.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';

/**
 * Per-instance charts with real data: a real instance (the Odoo stand-in) provisioned by the real
 * worker, whose metrics listener Prometheus scrapes; the tenant's chart endpoint then shows its CPU,
 * memory (with the plan's limit) and disk, and the overview its provisioning time and outcome.
 */

let h: Harness;
let monitoring: Monitoring;
let workerMetrics: Awaited<ReturnType<typeof startWorkerMetrics>>;
let owner: TestUser;
let instanceId: string;

async function workerScraped(timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const url = `${monitoring.prometheusUrl}/api/v1/query?query=${encodeURIComponent('saas_provisioning_duration_seconds_count')}`;
  while (Date.now() < deadline) {
    const answer = (await fetch(url).then((r) => r.json())) as { data: { result: unknown[] } };
    if (answer.data.result.length > 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Prometheus did not scrape the worker within ${timeoutMs} ms:\n${monitoring.output().slice(-2000)}`);
}

beforeAll(async () => {
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  monitoring = await startMonitoring({
    targets: { api: [`127.0.0.1:${apiPort}`], worker: [`127.0.0.1:${workerPort}`] },
    interval: '1s',
  });
  h = await startHarness({ env: { PROMETHEUS_URL: monitoring.prometheusUrl }, workerOptions: { maintenance: false } });
  await h.app.internal.listen({ host: '127.0.0.1', port: apiPort });
  workerMetrics = await startWorkerMetrics(h.platform, { port: workerPort });
  owner = await createUser(h, { label: 'metrics-owner' });
  // Prometheus must have scraped the worker before the provisioning counters move, so the run shows as an increase.
  await workerScraped();
  instanceId = (await createInstance(h, owner)).id;
  await waitForStatus(h, owner, instanceId, ['running']);
}, 150_000);

afterAll(async () => {
  if (instanceId) {
    await call(h.app, 'DELETE', `/api/v1/instances/${instanceId}`, { client: owner });
    await waitForStatus(h, owner, instanceId, ['deleted']).catch(() => undefined);
  }
  await workerMetrics?.close();
  await h?.close();
  await monitoring?.stop();
}, 120_000);

const chart = (body: MetricChartsDto, id: string) => body.charts.find((c) => c.id === id);
const latest = (body: MetricChartsDto, id: string, series: string) =>
  chart(body, id)
    ?.series.find((s) => s.name === series)
    ?.points.at(-1)?.v;

async function eventually(url: string, ready: (body: MetricChartsDto) => boolean, timeoutMs = 60_000): Promise<MetricChartsDto> {
  const deadline = Date.now() + timeoutMs;
  let last: MetricChartsDto | undefined;
  while (Date.now() < deadline) {
    const res = await call(h.app, 'GET', url, { client: owner });
    expect(res.statusCode, res.body).toBe(200);
    last = res.json() as MetricChartsDto;
    if (ready(last)) return last;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${JSON.stringify(last).slice(0, 2000)}\n${monitoring.output().slice(-2000)}`);
}

describe('charts of a running instance', () => {
  // Disk is what the reconciler last measured; it does not run here, so that chart stays empty.
  it('show its CPU and memory under the plan’s limit', { timeout: 90_000 }, async () => {
    // The worker reads containers every 15 s: the instance appears at its next pass.
    const body = await eventually(`/api/v1/instances/${instanceId}/metrics?range=1h`, (b) =>
      ['instance_cpu', 'instance_memory'].every((id) => (chart(b, id)?.series[0]?.points.length ?? 0) > 0),
    );
    const used = latest(body, 'instance_memory', 'Used') ?? 0;
    const limit = latest(body, 'instance_memory', 'Limit') ?? 0;
    expect(used).toBeGreaterThan(0);
    // The plan's memory limit, as the container has it.
    expect(limit).toBeGreaterThanOrEqual(used);
    expect(latest(body, 'instance_cpu', 'CPU')).toBeGreaterThanOrEqual(0);
  });

  it('put the provisioning run into the overview’s provisioning charts', { timeout: 30_000 }, async () => {
    // The overview is for staff; this reads it through the service the route calls.
    const body = await h.platform.metrics.overview('1h');
    expect(body.available).toBe(true);
    // The success counter's series is born with this run (at 1), so increase() has no earlier sample to
    // compare with: the run shows in the duration histogram, whose buckets exist from the start.
    const outcomes = chart(body, 'provisioning_outcomes')?.series.find((s) => s.name === 'Succeeded');
    expect(outcomes?.points.length).toBeGreaterThan(0);
    const p95 = chart(body, 'provisioning_time')?.series.find((s) => s.name === 'p95');
    expect(p95?.points.some((p) => p.v > 0)).toBe(true);
  });
});
