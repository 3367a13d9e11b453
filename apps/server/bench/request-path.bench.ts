/**
 * Request-path benchmark (not a test): what the API's common path costs next to a bare Fastify "hello",
 * measured with autocannon in one run on this machine:
 *   1. bare Fastify (no logger, no hooks), 2. GET /api/v1/health, 3. an authenticated, database-backed
 *   GET /api/v1/tenants/:id/instances (3 instances), 4. the same list through nginx (the edge config the
 *   platform renders, with its per-address limits raised: one load generator is one address);
 *   then 5./6. the list at a fixed 500 req/s, direct and through nginx, for latency under a set load.
 * Each server runs in its own process (bench/request-path.server.ts); the API writes its logs (LOG_LEVEL)
 * to a file, as it would to a journal. It uses a database of its own (created, migrated and dropped) and
 * Redis database 13. Instances are rows only: no containers.
 *
 *   npm run bench:requests -w @saas/server      (needs TEST_DATABASE_URL's server, Redis and nginx, see scripts/test.sh)
 *   BENCH_DURATION=10 BENCH_CONNECTIONS=20 BENCH_RATE=500 BENCH_LOG_LEVEL=info BENCH_OUT=file.json ...
 *   BENCH_ONLY=health,list (phases: bare, health, list, nginx, rate)   BENCH_CPU_PROF=dir (the API's --cpu-prof)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { UsersRepository } from '../src/auth/users.repo.js';
import { newTenantBilling } from '../src/billing/billing-accounts.repo.js';
import { parseConfig } from '../src/config/config.js';
import { InstancesRepository } from '../src/instances/instances.repo.js';
import { createPlatform, prepareDatabase } from '../src/platform.js';
import { TenantsRepository } from '../src/tenants/tenants.repo.js';
import { createTestEdge } from '../test/support/nginx.js';
import { testEnv } from '../test/test-env.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const OUT = process.env.BENCH_OUT ?? join(tmpdir(), 'bench-requests.json');
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const PROFILE_DIR = process.env.BENCH_CPU_PROF;

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('TEST_DATABASE_URL must be set (source the test environment as scripts/test.sh does)');
const benchDbName = `saas_bench_requests_${process.pid}`;
const benchDbUrl = `${adminUrl.slice(0, adminUrl.lastIndexOf('/'))}/${benchDbName}`;
const env = testEnv({
  DATABASE_URL: benchDbUrl,
  REDIS_URL: 'redis://127.0.0.1:6379/13',
  QUEUE_PREFIX: `bench-${process.pid}`,
  LOG_LEVEL,
  RESOURCE_PREFIX: 'saasbench',
});

async function onAdminDb(statement: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A user who owns a tenant with 3 instance rows, and a live session's access token. */
async function seed() {
  const platform = createPlatform(parseConfig(env));
  try {
    await prepareDatabase(platform);
    const user = await new UsersRepository(platform.db).create({
      email: 'bench@example.com',
      name: 'Bench',
      passwordHash: 'not-a-hash: this user never logs in with a password',
      emailVerifiedAt: new Date(),
    });
    if (!user) throw new Error('bench user exists');
    const tenant = await new TenantsRepository(platform.db).create('Bench', user.id, newTenantBilling(platform.config));
    const instances = new InstancesRepository(platform.db);
    for (let slot = 1; slot <= 3; slot++) {
      await instances.insert({
        tenantId: tenant.id,
        name: `Bench ${slot}`,
        slug: `bench-${slot}`,
        version: '18.0',
        image: 'odoo-standin:18.0',
        status: 'running',
        limits: { memoryMb: 512, cpuMillis: 1000, pids: 256, storageGb: 5, workers: 0 },
        slot,
        dbPassword: 'unused',
        masterPassword: 'unused',
        readyAt: new Date(),
      });
    }
    const session = await platform.auth.startSession(user.id, { ip: '127.0.0.1', userAgent: 'autocannon' });
    return { tenantId: tenant.id, token: session.accessToken };
  } finally {
    await platform.close();
  }
}

function startServer(mode: 'bare' | 'api', logFile: string): Promise<{ child: ChildProcess; port: number }> {
  const log = openSync(logFile, 'a');
  const child = fork(new URL('./request-path.server.ts', import.meta.url), [mode], {
    execArgv: ['--import', 'tsx', ...(PROFILE_DIR && mode === 'api' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', log, log, 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited (${code}); see ${logFile}`)));
  });
}

/** CPU time (user + system) the server process has used so far, in microseconds. */
function cpuTime(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const listener = (m: { cpu?: NodeJS.CpuUsage }) => {
      if (!m.cpu) return;
      child.off('message', listener);
      resolve(m.cpu.user + m.cpu.system);
    };
    child.on('message', listener);
    child.send('cpu');
  });
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function load(name: string, url: string, headers: Record<string, string>, rate?: number) {
  const options = { url, headers, connections: CONNECTIONS, duration: DURATION, ...(rate ? { overallRate: rate } : {}) };
  // A short warm-up first (JIT, connection pools), not counted.
  const warmup = await autocannon({ ...options, duration: 3 });
  const r = await autocannon(options);
  const summary = {
    name,
    url,
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    overallRate: rate ?? null,
    requestsPerSecond: round(r.requests.average),
    requestsTotal: r.requests.total,
    warmupRequests: warmup.requests.total,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: round(r.latency.mean) },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
  process.stdout.write(
    `${name.padEnd(34)} ${String(summary.requestsPerSecond).padStart(9)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}\n`,
  );
  // Wrong answers fail the run; a rare connection error does not (nginx closes a keep-alive connection
  // after 1000 requests, and a request can race that close).
  if (r.non2xx || r.errors > r.requests.total / 1000) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return summary;
}

/**
 * Committed transactions in the bench database (each autocommit query is one), and the CPU time of
 * each PostgreSQL backend serving it (from /proc, in clock ticks of 10 ms).
 */
async function databaseCounters(): Promise<{ transactions: number; backendTicks: Map<number, number> }> {
  const client = new pg.Client({ connectionString: benchDbUrl });
  await client.connect();
  try {
    // First the CPU times, while the API's pooled connections are still open (they close after 10 s idle).
    const backends = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    const backendTicks = new Map<number, number>();
    for (const { pid } of backends.rows) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      backendTicks.set(pid, Number(fields[11]) + Number(fields[12])); // utime + stime
    }
    // An idle backend flushes its statistics within 10 s (PGSTAT_IDLE_INTERVAL).
    await new Promise((r) => setTimeout(r, 11_000));
    const { rows } = await client.query<{ n: string }>('select xact_commit as n from pg_stat_database where datname = current_database()');
    return { transactions: Number(rows[0]?.n ?? 0), backendTicks };
  } finally {
    await client.end();
  }
}

/** CPU time the backends used between two readings, in microseconds (a backend new since the first counts from 0). */
const backendCpu = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ticks]) => sum + ticks - (before.get(pid) ?? 0), 0) * 10_000;

const dir = mkdtempSync(join(tmpdir(), 'bench-requests-'));
await onAdminDb(`create database ${benchDbName}`);
const servers: ChildProcess[] = [];
let edge: Awaited<ReturnType<typeof createTestEdge>> | undefined;
try {
  const { tenantId, token } = await seed();
  const loadBefore = loadavg();
  const bare = await startServer('bare', join(dir, 'bare.log'));
  servers.push(bare.child);
  const apiLog = join(dir, 'api.log');
  const api = await startServer('api', apiLog);
  servers.push(api.child);
  edge = await createTestEdge({ apiPort: api.port, limits: { apiPerSecond: 1_000_000, apiBurst: 1_000_000, connectionsPerIp: 10_000 } });
  await edge.start();

  const listPath = `/api/v1/tenants/${tenantId}/instances`;
  const auth = { authorization: `Bearer ${token}` };
  const direct = `http://127.0.0.1:${api.port}`;
  const viaNginx = `http://127.0.0.1:${edge.httpPort}`;
  const check = (await fetch(`${direct}${listPath}`, { headers: auth }).then((r) => r.json())) as unknown[];
  if (check.length !== 3) throw new Error(`expected 3 instances, got ${JSON.stringify(check)}`);

  // BENCH_ONLY=list,health (e.g. with BENCH_CPU_PROF) runs only those phases.
  const only = process.env.BENCH_ONLY?.split(',');
  const wanted = (phase: string) => !only || only.includes(phase);
  const apiCpu = async <T extends { requestsTotal: number; warmupRequests: number }>(run: () => Promise<T>) => {
    const before = await cpuTime(api.child);
    const result = await run();
    const used = (await cpuTime(api.child)) - before;
    return { ...result, apiCpuMicrosecondsPerRequest: Math.round(used / (result.requestsTotal + result.warmupRequests)) };
  };

  const bareRun = wanted('bare') ? await load('bare Fastify hello', `http://127.0.0.1:${bare.port}/`, {}) : undefined;
  await stopServer(bare.child);
  const health = wanted('health') ? await apiCpu(() => load('GET /api/v1/health', `${direct}/api/v1/health`, {})) : undefined;
  let listRun: Awaited<ReturnType<typeof load>> | undefined;
  let perListRequest: Record<string, number> | undefined;
  if (wanted('list')) {
    const logBefore = readFileSync(apiLog, 'utf8').split('\n').length;
    const dbBefore = await databaseCounters();
    const cpuBefore = await cpuTime(api.child);
    listRun = await load('list instances (direct)', `${direct}${listPath}`, auth);
    const cpuAfter = await cpuTime(api.child);
    const dbAfter = await databaseCounters();
    const logAfter = readFileSync(apiLog, 'utf8').split('\n').length;
    // Warm-up requests count too: they ran against the same database and logger.
    const requests = listRun.requestsTotal + listRun.warmupRequests;
    perListRequest = {
      // The API process's own CPU time per request: less sensitive to other load than req/s.
      apiCpuMicroseconds: Math.round((cpuAfter - cpuBefore) / requests),
      // Every transaction in the bench database during the run: each autocommit query is one.
      databaseTransactions: round((dbAfter.transactions - dbBefore.transactions) / requests),
      // The PostgreSQL backends' CPU time per request (10 ms ticks over the whole run).
      databaseCpuMicroseconds: Math.round(backendCpu(dbBefore.backendTicks, dbAfter.backendTicks) / requests),
      logLines: round((logAfter - logBefore) / requests),
    };
  }
  const nginxRun = wanted('nginx')
    ? await load('list instances (nginx)', `${viaNginx}${listPath}`, { ...auth, host: 'localhost' })
    : undefined;
  const fixedDirect = wanted('rate') ? await load(`list instances (direct) @ ${RATE}/s`, `${direct}${listPath}`, auth, RATE) : undefined;
  const fixedNginx = wanted('rate')
    ? await load(`list instances (nginx) @ ${RATE}/s`, `${viaNginx}${listPath}`, { ...auth, host: 'localhost' }, RATE)
    : undefined;

  const ratio = listRun && bareRun ? listRun.requestsPerSecond / bareRun.requestsPerSecond : Number.NaN;
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    loadAverageBefore: loadBefore.map(round),
    loadAverageAfter: loadavg().map(round),
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, rate: RATE, logLevel: LOG_LEVEL },
    perListRequest,
    results: [bareRun, health, listRun, nginxRun, fixedDirect, fixedNginx].filter(Boolean),
    goals: {
      listVersusBare: round(ratio * 1000) / 1000,
      listVersusBareMet: ratio >= 0.1,
      p99AtRateDirectMs: fixedDirect?.latencyMs.p99,
      p99AtRateNginxMs: fixedNginx?.latencyMs.p99,
      p99AtRateMet: (fixedDirect?.latencyMs.p99 ?? Infinity) <= 50 && (fixedNginx?.latencyMs.p99 ?? Infinity) <= 50,
    },
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`results: ${OUT}\n`);
  process.stdout.write(
    `${JSON.stringify({ perListRequest, healthApiCpu: health?.apiCpuMicrosecondsPerRequest, goals: report.goals }, null, 2)}\n`,
  );
} finally {
  await edge?.stop();
  for (const child of servers) if (child.exitCode === null) await stopServer(child);
  await onAdminDb(`drop database if exists ${benchDbName} with (force)`);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
