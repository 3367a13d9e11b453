/**
 * Provisioning benchmark (not a test): seconds from the API request to the instance answering HTTP,
 * template clone versus fresh `odoo -i base`, p50/p95 over N instances each; throughput with 10
 * concurrent requests; memory per idle instance. Runs the real API and worker in-process against the
 * local PostgreSQL, Redis and Docker engine, with the images named by ODOO_VERSIONS (here: the Odoo
 * stand-in — see docs/benchmarks.md for what that means for the numbers).
 *
 *   npm run bench:provision -w @saas/server            (after `npm test` once: services, images, test DB)
 *   BENCH_COUNT=20 BENCH_CONCURRENCY=10 ...
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { sql } from 'drizzle-orm';
import { instanceNames, slotPorts } from '../src/instances/instance-names.js';
import { buildTemplate } from '../src/instances/template-builder.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../test/harness.js';
import { uniqueSlug } from '../test/support/instances.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const OUT = process.env.BENCH_OUT ?? 'bench-results.json';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const round = (n: number) => Math.round(n * 100) / 100;

async function waitRunning(h: Harness, owner: TestUser, id: string) {
  for (;;) {
    const res = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client: owner });
    const body = res.json() as { status: string; lastError: string | null };
    if (body.status === 'running') return;
    if (body.status === 'failed') throw new Error(`instance failed: ${body.lastError}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Request → running → first HTTP 200 from Odoo on its port; returns seconds. */
async function provisionOne(h: Harness, owner: TestUser): Promise<{ id: string; seconds: number }> {
  const started = performance.now();
  const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
    client: owner,
    body: { name: 'Bench', slug: uniqueSlug('bench') },
  });
  if (res.statusCode !== 202) throw new Error(`create failed: ${res.body}`);
  const { id } = res.json() as { id: string };
  await waitRunning(h, owner, id);
  const row = await h.platform.instances.get(id);
  const port = slotPorts(h.platform.config.instancePortBase, row.slot).http;
  for (;;) {
    const answer = await fetch(`http://127.0.0.1:${port}/web/login`).catch(() => null);
    if (answer?.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { id, seconds: (performance.now() - started) / 1000 };
}

async function deleteAll(h: Harness, owner: TestUser, ids: string[]) {
  await Promise.all(ids.map((id) => call(h.app, 'DELETE', `/api/v1/instances/${id}`, { client: owner })));
  for (const id of ids) {
    for (;;) {
      const res = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client: owner });
      if (res.statusCode === 404) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function sequential(path: 'template' | 'fresh') {
  const h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: path === 'template' ? 'true' : 'false' } });
  try {
    const owner = await createUser(h, { label: `bench-${path}`, verify: 'direct' });
    await h.platform.db.execute(sql`update plans set max_instances = 100 where code = 'starter'`);
    if (path === 'template') {
      const p = h.platform;
      const result = await buildTemplate(p, '18.0');
      if (result !== 'ready') throw new Error('template build failed');
    }
    const seconds: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const one = await provisionOne(h, owner);
      seconds.push(one.seconds);
      ids.push(one.id);
      process.stdout.write(`  ${path} #${i + 1}: ${one.seconds.toFixed(2)} s\n`);
    }
    const row = await h.platform.instances.get(ids[0] as string);
    if (row.provisionPath !== path) throw new Error(`expected the ${path} path, got ${row.provisionPath}`);
    await deleteAll(h, owner, ids);
    return {
      path,
      count: COUNT,
      p50: round(percentile(seconds, 50)),
      p95: round(percentile(seconds, 95)),
      min: round(Math.min(...seconds)),
      max: round(Math.max(...seconds)),
    };
  } finally {
    await h.close();
  }
}

async function concurrent() {
  const h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'true' } });
  try {
    const owner = await createUser(h, { label: 'bench-concurrent', verify: 'direct' });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => provisionOne(h, owner)));
    const wall = (performance.now() - started) / 1000;
    const seconds = results.map((r) => r.seconds);

    // Memory of idle instances: let them settle, then read each container's usage from the engine.
    await new Promise((r) => setTimeout(r, 15_000));
    const memory: number[] = [];
    for (const { id } of results) {
      const stats = await h.platform.runtime.stats(instanceNames(h.platform.config.resourcePrefix, id).container);
      if (stats) memory.push(stats.memoryBytes / 1024 / 1024);
    }
    await deleteAll(
      h,
      owner,
      results.map((r) => r.id),
    );
    return {
      concurrency: CONCURRENCY,
      wallSeconds: round(wall),
      throughputPerMinute: round((CONCURRENCY / wall) * 60),
      p50: round(percentile(seconds, 50)),
      p95: round(percentile(seconds, 95)),
      idleMemoryMiB: {
        mean: round(memory.reduce((a, b) => a + b, 0) / memory.length),
        max: round(Math.max(...memory)),
        samples: memory.length,
      },
    };
  } finally {
    await h.close();
  }
}

const report = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  template: await sequential('template'),
  fresh: await sequential('fresh'),
  concurrent: await concurrent(),
};
writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(0);
