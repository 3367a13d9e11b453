/**
 * Real-Odoo benchmark (not a test), with the images of the real-Odoo suite (deploy/odoo-image or the official
 * ones) and the platform's real API, worker and edge (a private nginx):
 *
 * - P1: seconds from the API create request to Odoo's login page answering 200 through nginx, template path,
 *   BENCH_COUNT instances one after another (BENCH_GAP_MS apart), in threaded mode (0 workers) and with 2
 *   workers; where the time goes, per provisioning step.
 * - The fresh `-i base` path (BENCH_FRESH_COUNT instances) and the template build, per version.
 * - P3: idle memory per instance after one login (the engine's stats, as `docker stats`), per worker mode,
 *   and how many such idle instances fit in 24 GiB.
 *
 *   npm run bench:odoo -w @saas/server     (after `npm test` once: services, images, TEST_ODOO_* as in scripts/test.sh)
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { NginxEdgeRouter } from '../src/edge/nginx-edge-router.js';
import { instanceNames } from '../src/instances/instance-names.js';
import { InstancesRepository } from '../src/instances/instances.repo.js';
import { buildTemplate } from '../src/instances/template-builder.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../test/harness.js';
import { odooConfig, odooEnv } from '../test/odoo/odoo-env.js';
import { revealCredentials, rpcViaEdge, usePlan } from '../test/odoo/odoo-support.js';
import { uniqueSlug } from '../test/support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../test/support/nginx.js';
import { purgeTestResources } from '../test/support/purge.js';

const VERSION = process.env.BENCH_VERSION ?? '17.0';
const COUNT = Number(process.env.BENCH_COUNT ?? 20);
const FRESH_COUNT = Number(process.env.BENCH_FRESH_COUNT ?? 3);
const MEMORY_COUNT = Number(process.env.BENCH_MEMORY_COUNT ?? 10);
/** Pause between two sign-ups of P1: tenants do not arrive back to back, and the spare copy of the template is made meanwhile. */
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 1500);
const OUT = process.env.BENCH_OUT ?? 'bench-real-odoo.json';
const GIB24 = 24 * 1024;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const round = (n: number) => Math.round(n * 100) / 100;
const summary = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let edge: PlatformEdge;
let h: Harness;
let owner: TestUser;

/** Request → login page 200 through nginx; also when each provisioning step began (polled from the database). */
async function provisionOne(): Promise<{ id: string; seconds: number; path: string | null; steps: Record<string, number> }> {
  const repo = new InstancesRepository(h.platform.db);
  const started = performance.now();
  const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
    client: owner,
    body: { name: 'Bench', slug: uniqueSlug('bench'), version: VERSION },
  });
  if (res.statusCode !== 202) throw new Error(`create failed: ${res.body}`);
  const { id, slug } = res.json() as { id: string; slug: string };
  const host = `${slug}.localhost:${edge.httpPort}`;
  const steps: Record<string, number> = {};
  for (;;) {
    const row = await repo.findById(id);
    const step = row?.progress?.step;
    if (step && steps[step] === undefined) steps[step] = (performance.now() - started) / 1000;
    if (row?.status === 'failed') throw new Error(`instance failed: ${row.lastError}`);
    if (row?.status === 'running') {
      steps.running ??= (performance.now() - started) / 1000;
      const page = await request(edge.httpPort, host, '/web/login').catch(() => null);
      if (page?.status === 200) break;
    }
    await sleep(10);
  }
  const seconds = (performance.now() - started) / 1000;
  const row = await repo.findById(id);
  return { id, seconds, path: row?.provisionPath ?? null, steps };
}

async function deleteAll(ids: string[]) {
  await Promise.all(ids.map((id) => call(h.app, 'DELETE', `/api/v1/instances/${id}`, { client: owner })));
  for (const id of ids) {
    while ((await new InstancesRepository(h.platform.db).findById(id))?.status !== 'deleted') await sleep(200);
  }
}

type Run = Awaited<ReturnType<typeof provisionOne>>;

async function p1(workers: number) {
  await usePlan(h, owner, { code: `bench-${workers}`, memoryMb: workers ? 1024 : 512, workers });
  const runs: Run[] = [];
  for (let i = 0; i < COUNT; i++) {
    const one = await provisionOne();
    if (one.path !== 'template') throw new Error(`expected the template path, got ${one.path}`);
    runs.push(one);
    process.stdout.write(`  template, ${workers} workers #${i + 1}: ${one.seconds.toFixed(2)} s ${JSON.stringify(one.steps)}\n`);
    await sleep(GAP_MS);
  }
  await deleteAll(runs.map((r) => r.id));
  const stepNames = Object.keys(runs[0]?.steps ?? {});
  return {
    workers,
    count: COUNT,
    gapMs: GAP_MS,
    seconds: summary(runs.map((r) => r.seconds)),
    // When each step began, seconds after the request (p50): the differences are where the time goes.
    stepStartP50: Object.fromEntries(
      stepNames.map((s) => [
        s,
        round(
          percentile(
            runs.map((r) => r.steps[s] ?? Number.NaN),
            50,
          ),
        ),
      ]),
    ),
  };
}

async function fresh() {
  await usePlan(h, owner, { code: 'bench-0', memoryMb: 512, workers: 0 });
  const config = h.platform.config;
  // The fresh path is taken when the version has no ready template.
  await h.platform.tenantDb.dropDatabase(`${config.resourcePrefix}_tpl_${VERSION.replace('.', '_')}`);
  const runs: Run[] = [];
  for (let i = 0; i < FRESH_COUNT; i++) {
    const one = await provisionOne();
    if (one.path !== 'fresh') throw new Error(`expected the fresh path, got ${one.path}`);
    runs.push(one);
    process.stdout.write(`  fresh #${i + 1}: ${one.seconds.toFixed(2)} s\n`);
  }
  await deleteAll(runs.map((r) => r.id));
  return { count: FRESH_COUNT, seconds: summary(runs.map((r) => r.seconds)) };
}

async function templateBuilds() {
  const out: Record<string, number> = {};
  for (const { version } of h.platform.config.odooVersions) {
    const started = performance.now();
    if ((await buildTemplate(h.platform, version)) !== 'ready') throw new Error(`template build of ${version} failed`);
    out[version] = round((performance.now() - started) / 1000);
    process.stdout.write(`  template build ${version}: ${out[version]} s\n`);
  }
  return out;
}

/** Idle memory after one login per instance: the engine's figure (cgroup usage less page cache, as `docker stats`). */
async function idleMemory(workers: number) {
  await usePlan(h, owner, { code: `bench-${workers}`, memoryMb: workers ? 1024 : 512, workers });
  const ids: string[] = [];
  for (let i = 0; i < MEMORY_COUNT; i++) {
    const one = await provisionOne();
    ids.push(one.id);
    const row = await new InstancesRepository(h.platform.db).findById(one.id);
    const credentials = await revealCredentials(h, owner, one.id);
    const db = instanceNames(h.platform.config.resourcePrefix, one.id).db;
    const auth = await rpcViaEdge(edge.httpPort, `${row?.slug}.localhost:${edge.httpPort}`, '/web/session/authenticate', {
      db,
      login: credentials.login,
      password: credentials.password,
    });
    if (auth.result?.uid !== 2) throw new Error(`login failed: ${auth.text.slice(0, 300)}`);
  }
  await sleep(20_000);
  const mib: number[] = [];
  for (const id of ids) {
    const stats = await h.platform.runtime.stats(instanceNames(h.platform.config.resourcePrefix, id).container);
    if (stats) mib.push(stats.memoryBytes / 1024 / 1024);
  }
  await deleteAll(ids);
  const mean = mib.reduce((a, b) => a + b, 0) / mib.length;
  return {
    workers,
    samples: mib.length,
    idleMiB: { mean: round(mean), max: round(Math.max(...mib)), min: round(Math.min(...mib)) },
    fitIn24GiB: Math.floor(GIB24 / Math.max(...mib)),
  };
}

edge = await createPlatformEdge();
// The suite's prefix: whatever an interrupted run left is removed before and after.
await purgeTestResources(odooConfig());
h = await startHarness({ env: { ...odooEnv(), ...edge.env }, workerOptions: { maintenance: false } });
await edge.start(h.platform.edge as NginxEdgeRouter);
owner = await createUser(h, { label: 'bench', verify: 'direct' });
try {
  const templates = await templateBuilds();
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    version: VERSION,
    images: h.platform.config.odooVersions,
    templateBuildSeconds: templates,
    p1: { threaded: await p1(0), prefork: await p1(2) },
    p3: { threaded: await idleMemory(0), prefork: await idleMemory(2) },
    fresh: await fresh(),
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await h.close();
  await edge.stop();
  await purgeTestResources(odooConfig());
}
process.exit(0);
