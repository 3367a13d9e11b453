import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeRouter } from '../../src/edge/create-edge-router.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import type { InstanceDto } from '../../src/instances/instances.schemas.js';
import { provisionWorkflow } from '../../src/instances/provision.workflow.js';
import { createQueues } from '../../src/jobs/queues.js';
import { failureKinds, type Row, summaryTable } from '../support/chaos-report.js';
import { docker as dockerEngine, postgres, redis } from '../support/dependencies.js';
import { createPlatformEdge, freePort, type PlatformEdge, request } from '../support/nginx.js';
import { orphanedResources } from '../support/orphans.js';
import { type Owner, type PlatformClient, platformClient } from '../support/platform-client.js';
import { failed, type LoadSample, type LoadTarget, startRequestLoad } from '../support/request-load.js';
import { API_PROCESSES, type Program, type SupervisedPlatform, startSupervisedPlatform } from '../support/supervised.js';
import { testConfig } from '../test-env.js';

/**
 * The chaos suite. The whole platform runs as in local mode: the built API and worker under supervisord,
 * behind a private nginx, on the machine's PostgreSQL, Redis and Docker engine. Each event (a restart of
 * PostgreSQL, Redis, the engine or nginx; SIGKILL of the API or the worker) strikes while two instances
 * are half-way through provisioning, a confirmation mail is on its way, and a bounded request load runs
 * through nginx against the API and a running instance. After each event:
 * - everything answers again by itself within the event's stated bound;
 * - no job is lost or done twice (each instance has exactly one provisioning run, which succeeded, and
 *   became running once; the mail arrived once; no failed job in any queue);
 * - no instance is left in a transitional state;
 * - nothing is orphaned: every container, network, volume, database and role of the platform belongs
 *   to a live instance, one each;
 * - requests failed only inside the outage window, and how many is reported.
 * Instances run the Odoo stand-in (test/fixtures/odoo-standin): the platform's side of provisioning is the
 * same as with real Odoo, in seconds. A summary table is printed at the end (docs/reliability.md).
 */

/** Time for the two instances of an event to finish provisioning once the event is over. */
const PROVISION_BOUND_MS = 120_000;
/** Steps of a provisioning run (provision.workflow.ts), for the summary. */
const PROVISION_STEPS = provisionWorkflow.steps.length;
/** A request may still fail this long after the platform answered ready again (one in flight at the time). */
const GRACE_MS = 1_000;

const env: Record<string, string> = {
  QUEUE_PREFIX: `chaos-${randomUUID().slice(0, 8)}`,
  PROVISION_FROM_TEMPLATE: 'false',
};

let edge: PlatformEdge;
let platform: SupervisedPlatform;
const owners = new Map<string, Owner>();
let steady: { owner: Owner; instance: InstanceDto };

const rows: Row[] = [];

// ---------------------------------------------------------------------------------------------------------
// The platform as its users and operators reach it

const edgeHeaders = (host = 'localhost') => ({ host });
const seconds = (ms: number) => Math.round(ms / 100) / 10;

let apiClient: PlatformClient;

async function createInstance(by: Owner, label: string) {
  const created = await apiClient.createInstance(by, label);
  owners.set(created.instance.id, by);
  return created;
}

const waitForInstance = (id: string, statuses: InstanceDto['status'][], timeoutMs: number) =>
  apiClient.waitForInstance(id, (owners.get(id) as Owner).token, statuses, timeoutMs);

/** Ready through nginx, as a load balancer or an operator sees it; null when not answering. */
async function readiness() {
  try {
    const res = await request(edge.httpPort, 'localhost', '/api/v1/ready', { headers: edgeHeaders(), timeoutMs: 3_000 });
    return { status: res.status, body: JSON.parse(res.body) as { status: string; checks: Record<string, { status: string }> } };
  } catch {
    return null;
  }
}

async function steadyOdooAnswers() {
  const res = await request(edge.httpPort, `${steady.instance.slug}.localhost`, '/web/health', { timeoutMs: 3_000 }).catch(() => null);
  return res?.status === 200;
}

/** Everything answers: ready through nginx (every dependency and a fresh worker heartbeat), the running instance through nginx, both programs up. */
async function recovered() {
  const ready = await readiness();
  if (ready?.status !== 200 || ready.body.status !== 'ready') return false;
  if (!(await steadyOdooAnswers())) return false;
  return platform.running('api', 'worker');
}

/** The supervisor started the killed process again (a new pid in its place), within `timeoutMs`. */
async function waitRestarted(program: Program, killedPid: number | null, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = await platform.pid(program);
    if (pid && pid !== killedPid) return;
    await sleep(200);
  }
  throw new Error(`${program} was not started again within ${timeoutMs} ms\n${await platform.logs()}`);
}

async function waitRecovered(timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await recovered()) return Date.now();
    await sleep(100);
  }
  throw new Error(
    `the platform did not recover within ${timeoutMs} ms after ${what}; ready: ${JSON.stringify(await readiness())}, ` +
      `instance answers: ${await steadyOdooAnswers()}\n${await platform.logs()}\n--- nginx ---\n${(await edge.errorLog()).slice(-3000)}`,
  );
}

/** Polls readiness until `check` fails (the platform noticed the dependency is away). */
async function waitNoticed(check: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await readiness();
    if (ready?.status === 503 && ready.body.checks[check]?.status === 'fail') return;
    await sleep(100);
  }
  throw new Error(`/ready never reported ${check} failing within ${timeoutMs} ms\n${await platform.logs()}`);
}

// ---------------------------------------------------------------------------------------------------------
// What the platform holds, read from the source: its database, the queues, the engine, the database server

const config = () => testConfig(env);

async function platformQuery<R>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: config().databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/** The provisioning runs of these instances, to strike while one is half-way (past its database role). */
async function provisioningRuns(ids: string[]) {
  return platformQuery<{ subject_id: string; status: string; done_steps: string[] }>(
    'select subject_id, status, done_steps from workflow_runs where kind = $1 and subject_id = any($2::uuid[])',
    [provisionWorkflow.kind, ids],
  );
}

async function waitUntilHalfway(ids: string[]) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const runs = await provisioningRuns(ids);
    const halfway = runs.filter((r) => r.status === 'running' && r.done_steps.includes('database-role'));
    if (halfway.length > 0) {
      const done = runs.filter((r) => r.status === 'running').map((r) => r.done_steps.length);
      return `${done.length}/${ids.length} runs, ${done.join(' and ')} of ${PROVISION_STEPS} steps done`;
    }
    await sleep(25);
  }
  throw new Error(`no provisioning run got past its database role within 30 s: ${JSON.stringify(await provisioningRuns(ids))}`);
}

/** Jobs lost or done twice: the instances' runs and transitions, the mail, and failed jobs in every queue. */
async function jobProblems(instanceIds: string[], mailTo: string) {
  const problems: string[] = [];
  for (const id of instanceIds) {
    const runs = await platformQuery<{ status: string }>('select status from workflow_runs where kind = $1 and subject_id = $2', [
      provisionWorkflow.kind,
      id,
    ]);
    if (runs.length !== 1 || runs[0]?.status !== 'succeeded') problems.push(`instance ${id}: provisioning runs ${JSON.stringify(runs)}`);
    const [became] = await platformQuery<{ n: number }>(
      `select count(*)::int as n from instance_events where instance_id = $1 and to_status = 'running'`,
      [id],
    );
    if (became?.n !== 1) problems.push(`instance ${id}: became running ${became?.n} times`);
  }
  // The confirmation mail was sent before the event: it must arrive, once.
  await apiClient.confirmationMail(mailTo);
  await sleep(1_000);
  const mails = (await apiClient.mailsTo(mailTo)).filter((m) => m.subject.includes('Confirm'));
  if (mails.length !== 1) problems.push(`${mails.length} confirmation mails to ${mailTo}`);
  const queues = createQueues(config().redisUrl, env.QUEUE_PREFIX as string);
  try {
    for (const queue of queues.all) {
      const counts = await queue.getJobCounts('failed');
      if (counts.failed) {
        const jobs = await queue.getFailed(0, 5);
        problems.push(`${counts.failed} failed ${queue.name} jobs: ${jobs.map((j) => `${j.name}: ${j.failedReason}`).join('; ')}`);
      }
    }
    // A job still queued is named, with its last error and the worker's failures.
    const left = await queues.instances.getJobs(['waiting', 'active', 'delayed']);
    if (left.length) {
      const described = await Promise.all(
        left.map(
          async (j) => `${j.id} (${await j.getState()}, ${j.attemptsMade} attempts${j.failedReason ? `, last: ${j.failedReason}` : ''})`,
        ),
      );
      const failures = (await platform.logs())
        .split('\n')
        .filter((line) => line.includes('job failed'))
        .slice(-5);
      problems.push(`instance jobs left over: ${described.join('; ')}\n${failures.join('\n')}`);
    }
  } finally {
    await queues.close();
  }
  return problems;
}

async function stuckInstances() {
  return platformQuery<{ id: string; status: string }>(
    `select id, status from instances where status in ('pending', 'provisioning', 'deleting') and id = any($1::uuid[])`,
    [[...owners.keys()]],
  );
}

/** This run's live instances (the global setup purged the engine and database server of earlier runs'), and what no live instance explains. */
async function orphans() {
  const live = await platformQuery<{ id: string; status: string }>(
    `select id, status from instances where status <> 'deleted' and id = any($1::uuid[])`,
    [[...owners.keys()]],
  );
  return orphanedResources(config(), live);
}

// ---------------------------------------------------------------------------------------------------------
// The events

interface ChaosEvent {
  name: string;
  /** Seconds within which everything answers again, from the moment the dependency is back (or the kill). */
  boundS: number;
  /** Makes it happen; resolves when the dependency has been started again (or the process killed). */
  inject(): Promise<void>;
  /** For a kill: the program whose (first) process is killed, and must be started again. */
  killed?: Program;
}

/** A dependency stopped until the platform reports it away (and at least 2 s), then started again. */
const restart = (check: string, stop: () => void | Promise<void>, start: () => void | Promise<void>) => async () => {
  await stop();
  try {
    await Promise.all([waitNoticed(check), sleep(2_000)]);
  } finally {
    await start();
  }
};

const EVENTS: ChaosEvent[] = [
  { name: 'PostgreSQL restart', boundS: 15, inject: restart('postgres', postgres.stop, postgres.start) },
  { name: 'Redis restart', boundS: 15, inject: restart('redis', redis.stop, redis.start) },
  { name: 'Docker engine restart', boundS: 30, inject: restart('docker', dockerEngine.stop, dockerEngine.start) },
  { name: 'nginx restart', boundS: 5, inject: () => edge.restart(2_000) },
  {
    // One of the API's processes (API_PROCESSES of them share the port): the others keep answering.
    name: `API process killed (SIGKILL, 1 of ${API_PROCESSES})`,
    boundS: 10,
    killed: 'api',
    inject: async () => {
      await platform.kill('api');
    },
  },
  {
    name: 'worker killed (SIGKILL)',
    boundS: 10,
    killed: 'worker',
    inject: async () => {
      await platform.kill('worker');
    },
  },
];

async function strike(event: ChaosEvent, index: number) {
  await waitRecovered(30_000, 'the previous event');
  steady.owner.token = await apiClient.login(steady.owner.email);
  const by = await apiClient.owner(`chaos${index}`);
  const targets: LoadTarget[] = [
    {
      name: 'api',
      port: edge.httpPort,
      host: 'localhost',
      path: `/api/v1/tenants/${steady.owner.tenantId}/instances`,
      headers: { authorization: `Bearer ${steady.owner.token}` },
      ok: (status) => status === 200,
    },
    { name: 'odoo', port: edge.httpPort, host: `${steady.instance.slug}.localhost`, path: '/web/health', ok: (status) => status === 200 },
  ];
  // About 6 requests a second through nginx, well under its per-address API limit (with the readiness polls).
  const load = startRequestLoad(targets, { loops: 2, pauseMs: 300, maxRequests: 3_000, maxMs: 240_000 });
  let samples: LoadSample[] = [];
  try {
    const { email: mailTo } = await apiClient.signup(`chaos${index}-mail`);
    const created = [await createInstance(by, `c${index}a`), await createInstance(by, `c${index}b`)];
    const ids = created.map((c) => c.instance.id);
    const provisioningAtEvent = await waitUntilHalfway(ids);
    const pidBefore = event.killed ? await platform.pid(event.killed) : null;

    const startedAt = Date.now();
    await event.inject();
    const handedBackAt = Date.now();
    const recoveredAt = await waitRecovered(event.boundS * 1000, event.name);
    await sleep(3_000);
    samples = await load.stop();

    if (event.killed) await waitRestarted(event.killed, pidBefore);
    let provisionedAt = 0;
    for (const { instance, createdAt } of created) {
      const { at } = await waitForInstance(instance.id, ['running'], PROVISION_BOUND_MS);
      provisionedAt = Math.max(provisionedAt, at - createdAt);
    }
    expect(await platform.state('api')).toBe('RUNNING');
    expect(await platform.state('worker')).toBe('RUNNING');

    const failures = samples.filter((s) => failed(s, targets));
    // Inside the window: sent before the platform was back and answered (or failed) after the event began.
    const outside = failures.filter((s) => s.doneAt < startedAt || s.sentAt > recoveredAt + GRACE_MS);
    const problems = await jobProblems(ids, mailTo);
    const stuck = await stuckInstances();
    const left = await orphans();
    rows.push({
      event: event.name,
      boundS: event.boundS,
      outageS: seconds(recoveredAt - startedAt),
      recoveryS: seconds(recoveredAt - handedBackAt),
      requests: samples.length,
      failedRequests: failures.length,
      failedAs: failureKinds(failures),
      failedOutsideOutage: outside.length,
      provisioningAtEvent,
      provisionedS: seconds(provisionedAt),
      lostOrDuplicateJobs: problems.length,
      stuckInstances: stuck.length,
      orphans: left.length,
    });
    expect(problems).toEqual([]);
    expect(stuck).toEqual([]);
    expect(left).toEqual([]);
    expect(outside, `failed requests outside the outage window ${startedAt}..${recoveredAt}`).toEqual([]);
    // An outage is a 503 with Retry-After (or nginx's 502 while the API restarts), never an API's 500.
    expect(failures.filter((f) => f.status === 500)).toEqual([]);
    expect(samples.length).toBeGreaterThan(10);
  } finally {
    if (!samples.length) await load.stop();
  }
}

beforeAll(async () => {
  edge = await createPlatformEdge();
  Object.assign(env, edge.env);
  platform = await startSupervisedPlatform(await freePort(), env);
  apiClient = platformClient(platform.apiUrl, () => platform.logs());
  const quiet = { info: () => undefined, warn: () => undefined };
  await edge.start(createEdgeRouter(config(), quiet) as NginxEdgeRouter);
  const steadyOwner = await apiClient.owner('steady');
  const { instance } = await createInstance(steadyOwner, 'steady');
  await waitForInstance(instance.id, ['running'], PROVISION_BOUND_MS);
  steady = { owner: steadyOwner, instance };
  await waitRecovered(60_000, 'the start');
}, 180_000);

afterAll(async () => {
  // Whatever happened, the machine's services run again for whatever comes next.
  postgres.start();
  redis.start();
  dockerEngine.start();
  await platform?.stop();
  await edge?.stop();
  if (rows.length) console.log(summaryTable(rows));
}, 120_000);

describe('chaos: every event strikes during provisioning and a request load', () => {
  EVENTS.forEach((event, index) => {
    it(`${event.name}: back within ${event.boundS} s, nothing lost, stuck or orphaned`, () => strike(event, index), 420_000);
  });

  it('deleting every instance afterwards leaves nothing behind', async () => {
    const live = await platformQuery<{ id: string }>(`select id from instances where status <> 'deleted' and id = any($1::uuid[])`, [
      [...owners.keys()],
    ]);
    expect(live.length).toBe(EVENTS.length * 2 + 1);
    for (const { id } of live) {
      const by = owners.get(id) as Owner;
      const res = await apiClient.api('DELETE', `/api/v1/instances/${id}`, { token: by.token });
      expect(res.status, res.text).toBe(202);
    }
    for (const { id } of live) await waitForInstance(id, ['deleted'], 120_000);
    expect(await stuckInstances()).toEqual([]);
    expect(await orphans()).toEqual([]);
  }, 300_000);
});
