import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { type AlertRow, AlertsRepository } from '../../src/monitoring/alerts.repo.js';
import { ALERT_WEBHOOK_PATH } from '../../src/monitoring/alerts.routes.js';
import { call, createUser, type Harness, startHarness, type TestUser, waitForMail } from '../harness.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';
import { type BuiltProcess, killHard, startWorkerProcess } from '../support/worker-process.js';

/**
 * The whole alert path with real parts: a built worker process serving its metrics, the API's internal
 * listener, Prometheus scraping both every second and Alertmanager calling the platform's webhook.
 * The worker is killed: WorkerDown fires (row, operators' mail, admin list); it comes back: resolved.
 */

const QUEUE_PREFIX = `alerts-${randomUUID().slice(0, 8)}`;
const TOKEN = `webhook-${randomUUID()}`;
const OPERATOR = `operators-${randomUUID().slice(0, 8)}@example.com`;
let h: Harness;
let monitoring: Monitoring | undefined;
let worker: BuiltProcess | undefined;
let workerPort: number;
let admin: TestUser;

const workerEnv = () => ({ QUEUE_PREFIX, WORKER_METRICS_PORT: String(workerPort) });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} within ${timeoutMs} ms\nworker:\n${worker?.output.join('').slice(-3000)}\nmonitoring:\n${monitoring?.output().slice(-4000)}`,
  );
}

const mailsAbout = async (port: number) =>
  (await h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, OPERATOR))).filter((m) => m.subject.includes(`127.0.0.1:${port}`));

const workerMetrics = () =>
  fetch(`http://127.0.0.1:${workerPort}/metrics`, { signal: AbortSignal.timeout(1_000) }).then((r) => (r.ok ? r.text() : undefined));

/** `up` of the worker target as Prometheus last saw it. */
async function workerUp(): Promise<number | undefined> {
  const url = `${monitoring?.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="worker"}')}`;
  const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
  const value = body.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

async function workerDownRow(status: AlertRow['status']): Promise<AlertRow | undefined> {
  const { items } = await new AlertsRepository(h.platform.db).list({ status, limit: 200, offset: 0 });
  return items.find((a) => a.name === 'WorkerDown' && a.labels.instance === `127.0.0.1:${workerPort}`);
}

beforeAll(async () => {
  workerPort = await freePort();
  const internalPort = await freePort();
  h = await startHarness({
    withWorker: false,
    env: { QUEUE_PREFIX, ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_EMAIL_TO: OPERATOR },
  });
  await h.app.internal.listen({ host: '127.0.0.1', port: internalPort });
  admin = await createUser(h, { label: 'alertadmin', verify: 'direct' });
  await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });

  worker = startWorkerProcess(workerEnv());
  const text = await waitFor('the worker serves its metrics', workerMetrics, 30_000);
  // The worker's own series are there from the start (the instance loop fills the per-instance ones).
  expect(text).toContain('saas_provisioning_total');
  expect(text).toContain('process_cpu_seconds_total');

  monitoring = await startMonitoring({
    targets: { api: [`127.0.0.1:${internalPort}`], worker: [`127.0.0.1:${workerPort}`] },
    webhookUrl: `http://127.0.0.1:${internalPort}${ALERT_WEBHOOK_PATH}`,
    webhookToken: TOKEN,
    ruleFor: '3s',
    interval: '1s',
  });
  await waitFor('Prometheus sees the worker up', async () => ((await workerUp()) === 1 ? true : undefined), 20_000);
}, 90_000);

afterAll(async () => {
  if (worker) await killHard(worker);
  await monitoring?.stop();
  await h?.close();
});

it('fires WorkerDown when the worker dies and resolves it when the worker is back', async () => {
  expect(await workerDownRow('firing')).toBeUndefined();
  await killHard(worker as BuiltProcess);

  const fired = await waitFor('WorkerDown fires', () => workerDownRow('firing'), 45_000);
  expect(fired).toMatchObject({ severity: 'critical', summary: `Worker 127.0.0.1:${workerPort} is down` });
  expect(fired.labels).toMatchObject({ alertname: 'WorkerDown', job: 'worker' });

  // The operators' mail is in the outbox (no worker runs to deliver it yet). Only this worker's: a
  // loaded machine may delay Prometheus's first scrape past `for`, and the "no worker up" alert then
  // fires and resolves at start.
  const outbox = await mailsAbout(workerPort);
  expect(outbox.map((m) => m.subject)).toEqual([`[FIRING] WorkerDown: Worker 127.0.0.1:${workerPort} is down`]);

  const listed = await call(h.app, 'GET', '/api/v1/admin/alerts?status=firing&limit=200', { client: admin });
  expect(listed.statusCode, listed.body).toBe(200);
  const items = (listed.json() as { items: { id: string; name: string; status: string }[] }).items;
  expect(items.find((a) => a.id === fired.id)).toMatchObject({ name: 'WorkerDown', status: 'firing' });

  worker = startWorkerProcess(workerEnv());
  const resolved = await waitFor(
    'WorkerDown resolves',
    async () => {
      const { items: rows } = await new AlertsRepository(h.platform.db).list({ status: 'resolved', limit: 200, offset: 0 });
      return rows.find((a) => a.id === fired.id);
    },
    45_000,
  );
  expect(resolved.endsAt).toBeInstanceOf(Date);
  expect(await workerDownRow('firing')).toBeUndefined();

  // The restarted worker delivers both mails, one each, to the operators' address.
  await waitForMail(h.app, OPERATOR, `[RESOLVED] WorkerDown: Worker 127.0.0.1:${workerPort}`, 20_000);
  await waitForMail(h.app, OPERATOR, `[FIRING] WorkerDown: Worker 127.0.0.1:${workerPort}`, 20_000);
  const sent = await mailsAbout(workerPort);
  expect(sent.map((m) => m.subject).sort()).toEqual([
    `[FIRING] WorkerDown: Worker 127.0.0.1:${workerPort} is down`,
    `[RESOLVED] WorkerDown: Worker 127.0.0.1:${workerPort} is down`,
  ]);
}, 120_000);
