import { Queue } from 'bullmq';
import { expect } from 'vitest';
import { QUEUE_NAMES, redisConnection } from '../../src/jobs/queues.js';
import { until } from '../e2e/pages.js';
import { platformClient } from './platform-client.js';
import { holdMailDeliveries, killOneTask, passwordMails, runningTasks, startPasswordChanges } from './replica-kill.js';
import { failed, type LoadTarget, startRequestLoad } from './request-load.js';
import { exec, PREFIX, STACK, type StackOnSwarm } from './stack-deploy.js';

/**
 * The replicas of the deployed stack (test/swarm/stack-deploy.swarm.test.ts): the API and the worker scaled to 2, then
 * one task of each SIGKILLed under a request load and a loop of writes through the edge: no failed read, no lost job
 * (docs/deploy.md#replicas-and-scaling). What is killed and how it writes: replica-kill.ts.
 */
const services = [`${STACK}_api`, `${STACK}_worker`];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How many tasks of the API and of the worker run. */
const runningEach = async (stack: StackOnSwarm) =>
  (await Promise.all(services.map((s) => runningTasks(stack.manager(), s)))).map((t) => t.length);

/** `docker service scale` of the API and the worker to 2, until both tasks of each run and the edge has them. */
export async function scaleApiAndWorkerTo2(stack: StackOnSwarm): Promise<void> {
  const { theLab, timed } = stack;
  const twoEach = () => runningEach(stack);
  const scale = ['service', 'scale', '--detach', ...services.map((s) => `${s}=2`)];
  await exec('docker', ['-H', `unix://${theLab().manager.socket}`, ...scale], { timeout: 60_000 });
  // A task is running once its healthcheck passed; the edge's watch then adds it within 2 s.
  await timed('scale to 2', () => until(twoEach, (n) => n.every((c) => c === 2), 'two running tasks of each', 120_000));
  await sleep(5_000);
}

/** One API task and one worker task (while it holds mail deliveries) SIGKILLed under the load and the writes. */
export async function killOneOfEachUnderLoad(stack: StackOnSwarm): Promise<void> {
  const { manager, platformDbUrl, timed, timings, webUrl, edgePort } = stack;
  const twoEach = () => runningEach(stack);
  const owner = await platformClient(webUrl()).owner('replicas');
  const edge = { port: edgePort, host: `localhost:${edgePort}` };
  const auth = { authorization: `Bearer ${owner.token}` };
  const reads: LoadTarget[] = ['/api/v1/me', `/api/v1/tenants/${owner.tenantId}/instances`].map((path) => ({
    ...{ name: path, port: edgePort, host: edge.host, path, headers: auth },
    ok: (s) => s === 200,
  }));
  // At most 10 reads and 5 writes a second: under the edge's limit of 20 a second per address.
  const load = startRequestLoad(reads, { loops: 2, pauseMs: 200, maxRequests: 5_000, maxMs: 120_000 });
  const writes = startPasswordChanges(edge, owner.token, 200);
  const mailQueue = new Queue(QUEUE_NAMES.mail, { connection: redisConnection(process.env.TEST_REDIS_URL ?? ''), prefix: PREFIX });
  let activeAtKill = 0;
  let workerKilledAt = 0;
  let reqs: Awaited<ReturnType<typeof load.stop>> = [];
  let posts: Awaited<ReturnType<typeof writes.stop>> = [];
  try {
    await sleep(5_000);
    await killOneTask(manager(), `${STACK}_api`);
    await sleep(15_000);
    // The worker's task is killed while it holds deliveries: more in progress than one worker's concurrency (4).
    const hold = await holdMailDeliveries(platformDbUrl());
    try {
      activeAtKill = await until(
        () => mailQueue.getActiveCount(),
        (n) => n > 4,
        'jobs on both workers',
        15_000,
      );
      workerKilledAt = Date.now();
      await killOneTask(manager(), `${STACK}_worker`);
      await sleep(1_000);
    } finally {
      await hold.release();
    }
    // Its jobs are taken back once their locks expire (15 s), while the load goes on.
    await sleep(25_000);
  } finally {
    reqs = await load.stop();
    posts = await writes.stop();
  }
  const failedReads = reqs.filter((r) => failed(r, reads));
  const changes = posts.filter((p) => !p.probe);
  const lost = changes.filter((p) => p.status === 0 || p.status >= 500);
  const applied = posts.filter((p) => p.status === 204).length;
  timings['replicas: reads failed'] = `${failedReads.length} of ${reqs.length}`;
  timings['replicas: writes without an answer'] = `${lost.length} of ${changes.length}`;
  timings['replicas: slowest read'] = `${Math.max(...reqs.map((r) => r.doneAt - r.sentAt))} ms`;

  // Every write's mail delivered, by the platform's own record of each job: the outbox has none left pending.
  try {
    const outbox = () => passwordMails(platformDbUrl(), owner.email);
    const mails = await timed('replicas: last mail delivered, after the load', () =>
      until(outbox, (m) => m.pending === 0, 'no password mail pending', 90_000),
    );
    expect(mails.failed).toBe(0);
    // One mail per applied change; a change whose answer was lost may have been applied too.
    expect(mails.sent).toBeGreaterThanOrEqual(applied);
    expect(mails.sent).toBeLessThanOrEqual(applied + lost.length);
    expect(mails.inMailbox).toBeGreaterThanOrEqual(mails.sent);
    // The killed worker's jobs went back to the queue and were completed by another worker.
    const takenBack = (await mailQueue.getJobs(['completed'])).filter((j) => j.stalledCounter > 0);
    const last = Math.max(...takenBack.map((j) => j.finishedOn ?? 0));
    timings['replicas: mail jobs taken back'] = `${takenBack.length} of ${activeAtKill} in progress at the kill`;
    timings["replicas: killed worker's jobs done after the kill"] = `${((last - workerKilledAt) / 1000).toFixed(1)} s`;
    expect(takenBack.length).toBeGreaterThan(0);
    // Lock 15 s, stalled check every 5 s: back within about 20 s.
    expect(last - workerKilledAt).toBeLessThan(30_000);
    expect(await mailQueue.getFailedCount()).toBe(0);
  } finally {
    await mailQueue.close();
  }
  // Swarm replaced both killed tasks.
  await until(twoEach, (n) => n.every((c) => c === 2), 'two running tasks of each again', 90_000);
  expect(changes.length).toBeGreaterThan(50);
  expect(reqs.length).toBeGreaterThan(200);
  expect(failedReads.map((r) => `${r.target} ${r.status} ${r.error ?? ''}`)).toEqual([]);
  // A POST in flight on the killed task is lost with it (nginx does not resend a write): one writer, at most one.
  expect(lost.length).toBeLessThanOrEqual(1);
  expect(changes.filter((p) => p.status !== 204 && !lost.includes(p)).map((p) => `${p.status} ${p.error}`)).toEqual([]);
}
