import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { DomainError } from '../../src/errors/domain-error.js';
import type { MetricChartsDto } from '../../src/monitoring/metrics.schemas.js';
import { rangeWindow } from '../../src/monitoring/metrics-store.js';
import { PrometheusStore } from '../../src/monitoring/prometheus/prometheus-store.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';

/**
 * The chart endpoints against a real Prometheus that scrapes this harness's API (its internal
 * listener) every second: data arrives, access rules hold, bad input and a missing store are answered.
 */

let h: Harness;
let monitoring: Monitoring;
let owner: TestUser;
let outsider: TestUser;
let support: TestUser;
let admin: TestUser;
let instanceId: string;

beforeAll(async () => {
  // Prometheus needs the scrape target's port before the harness (which needs Prometheus's URL) exists.
  const metricsPort = await freePort();
  monitoring = await startMonitoring({ targets: { api: [`127.0.0.1:${metricsPort}`] }, interval: '1s' });
  h = await startHarness({ withWorker: false, env: { PROMETHEUS_URL: monitoring.prometheusUrl } });
  await h.app.internal.listen({ host: '127.0.0.1', port: metricsPort });
  const user = (label: string) => createUser(h, { label, verify: 'direct' });
  [owner, outsider, support, admin] = await Promise.all([user('owner'), user('outsider'), user('support'), user('padmin')]);
  const users = new UsersRepository(h.platform.db);
  await users.update(support.userId, { platformRole: 'support' });
  await users.update(admin.userId, { platformRole: 'admin' });
  instanceId = (await insertInstanceRow(h, owner.tenantId, 'failed')).id;
}, 60_000);

afterAll(async () => {
  await h?.close();
  await monitoring?.stop();
});

async function charts(url: string, client: TestUser): Promise<MetricChartsDto> {
  const res = await call(h.app, 'GET', url, { client });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as MetricChartsDto;
}

const pointsOf = (body: MetricChartsDto, id: string) => body.charts.find((c) => c.id === id)?.series.flatMap((s) => s.points) ?? [];

/** Polls until Prometheus has scraped enough for `ready`, or fails with what it saw last. */
async function eventually(url: string, client: TestUser, ready: (body: MetricChartsDto) => boolean, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  let last: MetricChartsDto | undefined;
  while (Date.now() < deadline) {
    last = await charts(url, client);
    if (ready(last)) return last;
    // Traffic for the request-rate and latency charts.
    await call(h.app, 'GET', '/api/v1/health');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`charts not ready after ${timeoutMs} ms: ${JSON.stringify(last).slice(0, 2000)}\n${monitoring.output().slice(-2000)}`);
}

describe('overview charts', () => {
  it('show the platform’s series once Prometheus has scraped the API a few times', async () => {
    const body = await eventually('/api/v1/admin/metrics/overview?range=1h', admin, (b) =>
      ['api_request_rate', 'api_latency', 'instances_by_status', 'queue_depth', 'docker_engine'].every((id) => pointsOf(b, id).length > 0),
    );
    expect(body).toMatchObject({ range: '1h', available: true, stepSeconds: 60 });
    expect(body.charts.map((c) => c.id)).toContain('mrr');
    const now = Date.now();
    for (const point of pointsOf(body, 'api_request_rate')) {
      expect(point.t).toBeGreaterThan(now - 3_700_000);
      expect(point.t).toBeLessThanOrEqual(now + 1_000);
      expect(point.v).toBeGreaterThan(0);
    }
    // The fixture instance has failed: the gauge counts it (other test files' instances may add to it).
    const failed = body.charts.find((c) => c.id === 'instances_by_status')?.series.find((s) => s.name === 'Failed');
    expect(failed?.points.at(-1)?.v).toBeGreaterThanOrEqual(1);
    expect(pointsOf(body, 'docker_engine').at(-1)?.v).toBe(100);
    expect(body.charts.find((c) => c.id === 'api_latency')?.unit).toBe('seconds');
  });

  it('count sign-ups made after the first scrapes', async () => {
    // Those of beforeAll came before Prometheus first saw the counter, so they are its starting value.
    await createUser(h, { label: 'late', verify: 'direct' });
    await eventually('/api/v1/admin/metrics/overview?range=1h', admin, (b) => pointsOf(b, 'signups').some((p) => p.v > 0));
  });

  it('let support staff look, and refuse tenant users', async () => {
    expect((await charts('/api/v1/admin/metrics/overview?range=24h', support)).stepSeconds).toBe(600);
    const res = await call(h.app, 'GET', '/api/v1/admin/metrics/overview', { client: owner });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it.each(['2h', '', '1H', '7d;drop', "1h' or 1=1"])('refuse the range %j', async (range) => {
    const res = await call(h.app, 'GET', `/api/v1/admin/metrics/overview?range=${encodeURIComponent(range)}`, { client: admin });
    expect(res.statusCode).toBe(400);
  });
});

describe('instance charts', () => {
  const ids = ['instance_cpu', 'instance_memory', 'instance_disk', 'instance_requests'];

  it('show the tenant its own instance', async () => {
    const body = await charts(`/api/v1/instances/${instanceId}/metrics?range=7d`, owner);
    expect(body).toMatchObject({ range: '7d', available: true, stepSeconds: 3600 });
    expect(body.charts.map((c) => c.id)).toEqual(ids);
  });

  it('hide an instance from another tenant and the admin route from tenants', async () => {
    const other = await call(h.app, 'GET', `/api/v1/instances/${instanceId}/metrics`, { client: outsider });
    expect(other.statusCode).toBe(404);
    const admins = await call(h.app, 'GET', `/api/v1/admin/instances/${instanceId}/metrics`, { client: owner });
    expect(admins.statusCode).toBe(403);
  });

  it('show staff any instance, and 404 for one that does not exist', async () => {
    expect((await charts(`/api/v1/admin/instances/${instanceId}/metrics?range=24h`, support)).charts.map((c) => c.id)).toEqual(ids);
    const missing = await call(h.app, 'GET', `/api/v1/admin/instances/${randomUUID()}/metrics`, { client: admin });
    expect(missing.statusCode).toBe(404);
  });

  it('take nothing but a uuid into PromQL', async () => {
    for (const hostile of [`${instanceId}"} or vector(1) #`, '.*', `${instanceId}",instance_id=~".+`]) {
      const res = await call(h.app, 'GET', `/api/v1/admin/instances/${encodeURIComponent(hostile)}/metrics`, { client: admin });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('the Prometheus store', () => {
  it('maps a refused query to metrics_unavailable with Prometheus’s reason', async () => {
    const store = new PrometheusStore({ url: monitoring.prometheusUrl });
    const err = await store.queryRange('sum(rate(', rangeWindow('1h')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'metrics_unavailable' });
    expect((err as Error).message).toMatch(/bad_data/);
  });

  it('sends credentials of the URL as Basic authentication (fetch refuses them in the URL)', async () => {
    const store = new PrometheusStore({ url: monitoring.prometheusUrl.replace('http://', 'http://reader:p%40ss@') });
    const series = await store.queryRange('up{job="api"}', rangeWindow('1h'));
    expect(series.flatMap((s) => s.points).at(-1)?.v).toBe(1);
  });

  it('gives up after its timeout', async () => {
    // A listener that accepts and never answers.
    const net = await import('node:net');
    const server = net.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const store = new PrometheusStore({ url: `http://127.0.0.1:${port}`, timeoutMs: 500 });
      const err = await store.queryRange('up', rangeWindow('1h')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'metrics_unavailable', message: expect.stringMatching(/did not answer within 0.5 s/) });
    } finally {
      server.close();
    }
  });
});

describe('without a metrics store', () => {
  it('answers available: false when PROMETHEUS_URL is unset', async () => {
    const bare = await startHarness({ withWorker: false });
    try {
      expect(bare.platform.config.monitoring.prometheusUrl).toBeUndefined();
      for (const url of ['/api/v1/admin/metrics/overview?range=24h', `/api/v1/admin/instances/${instanceId}/metrics`]) {
        const res = await call(bare.app, 'GET', url, { client: admin });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ available: false, charts: [] });
      }
    } finally {
      await bare.close();
    }
  });

  it('answers 503 metrics_unavailable when Prometheus is down', async () => {
    await monitoring.stop();
    const res = await call(h.app, 'GET', '/api/v1/admin/metrics/overview', { client: admin });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'metrics_unavailable', detail: expect.stringMatching(/not running|could not be reached/) });
    expect(res.body).not.toContain(monitoring.prometheusUrl);
  });
});
