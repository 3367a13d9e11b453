import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificatesRepository } from '../../src/certificates/certificates.repo.js';
import { InstanceMetricsCollector } from '../../src/monitoring/instance-metrics.js';
import { provisioningDuration, provisioningTotal } from '../../src/monitoring/provisioning-metrics.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';

/**
 * The API's business gauges as Prometheus reads them from its internal listener, and the worker's
 * provisioning and per-instance metrics after a real provisioning (odoo-standin image, real Docker).
 */

let h: Harness;
let owner: TestUser;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' }, workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'metrics', verify: 'direct' });
});

afterAll(async () => {
  await h?.close();
});

async function scrape(): Promise<string> {
  const res = await h.app.internal.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one series, by name and an exact label set (as rendered by prom-client). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('API business gauges', () => {
  it('count sign-ups, instances by status, queue jobs, the engine, certificates and MRR', async () => {
    const before = value(await scrape(), 'saas_signups_total') ?? 0;
    await createUser(h, { label: 'signup-count', verify: false });
    const text = await scrape();
    expect(value(text, 'saas_signups_total')).toBe(before + 1);
    expect(value(text, 'saas_docker_engine_up')).toBe(1);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(value(text, `saas_queue_jobs{queue="instances",state="${state}"}`)).toBeGreaterThanOrEqual(0);
    }
    expect(text).toMatch(/^saas_mrr\{currency="[a-z]{3}"\} \d+$/m);
    expect(text).toContain('# TYPE saas_instances gauge');
  });

  it('export each certificate expiry per domain', async () => {
    const name = `metrics-${randomUUID().slice(0, 8)}.example`;
    const notAfter = new Date(Date.now() + 10 * 86_400_000);
    const certs = new CertificatesRepository(h.platform.db);
    await certs.saveIssued(
      {
        name,
        domains: [name, `www.${name}`],
        serial: randomUUID(),
        issuer: 'test CA',
        notBefore: new Date(),
        notAfter,
        ocsp: false,
        certFile: '/nonexistent',
        keyFile: '/nonexistent',
      },
      { kind: 'platform' },
    );
    try {
      const text = await scrape();
      const expected = Math.floor(notAfter.getTime() / 1000);
      expect(value(text, `saas_certificate_expiry_timestamp_seconds{domain="${name}"}`)).toBe(expected);
      expect(value(text, `saas_certificate_expiry_timestamp_seconds{domain="www.${name}"}`)).toBe(expected);
    } finally {
      await certs.remove(name);
    }
  });
});

describe('worker metrics', () => {
  it('count a provisioning and its duration, and read the instance container’s resources', async () => {
    const successes = async () => (await provisioningTotal.get()).values.find((v) => v.labels.result === 'success')?.value ?? 0;
    const durations = async () => (await provisioningDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const [successBefore, countBefore] = [await successes(), await durations()];
    const created = await createInstance(h, owner, { version: '18.0' });
    await waitForStatus(h, owner, created.id, ['running']);
    // The worker counts the run just after its status commits, so the API may show "running" a moment before.
    await expect.poll(successes, { timeout: 5_000 }).toBe(successBefore + 1);
    expect(await durations()).toBe(countBefore + 1);

    const statusText = await scrape();
    expect(value(statusText, 'saas_instances{status="running"}')).toBeGreaterThanOrEqual(1);

    const registry = new Registry();
    const collector = new InstanceMetricsCollector(h.platform, registry);
    await collector.collect();
    const text = await registry.metrics();
    const labels = `instance_id="${created.id}",tenant_id="${owner.tenantId}",slug="${created.slug}"`;
    expect(value(text, `saas_instance_cpu_seconds_total{${labels}}`)).toBeGreaterThan(0);
    expect(value(text, `saas_instance_memory_bytes{${labels}}`)).toBeGreaterThan(0);
    expect(value(text, `saas_instance_memory_limit_bytes{${labels}}`)).toBeGreaterThan(0);
    expect(value(text, `saas_instance_restarts{${labels}}`)).toBe(0);
    expect(text).toContain('# TYPE saas_instance_cpu_seconds_total counter');

    const deleted = await call(h.app, 'DELETE', `/api/v1/instances/${created.id}`, { client: owner });
    expect(deleted.statusCode, deleted.body).toBe(202);
    await waitForStatus(h, owner, created.id, ['deleted']).catch(() => undefined);
  }, 120_000);
});
