import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { serverVersion } from '../../src/paths.js';
import type { FailedJob, QueueDepth } from '../../src/system/operations.schemas.js';
import type { WorkerInfo } from '../../src/system/worker-heartbeats.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';

/** The operators' System routes against a real worker: heartbeats, queue depths, a job that really failed, retry and remove. */

let h: Harness;
let admin: TestUser;
let support: TestUser;

beforeAll(async () => {
  h = await startHarness();
  [admin, support] = await Promise.all([
    createUser(h, { label: 'ops-admin', verify: 'direct' }),
    createUser(h, { label: 'ops-support', verify: 'direct' }),
  ]);
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
});
afterAll(async () => {
  await h.close();
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const workers = async () => (await call(h.app, 'GET', '/api/v1/admin/system/workers', { client: support })).json() as WorkerInfo[];
const failed = async (queue = 'maintenance') => {
  const res = await call(h.app, 'GET', `/api/v1/admin/system/queues/${queue}/failed`, { client: support });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: FailedJob[]; total: number };
};

describe('live workers', () => {
  it('lists the running worker with its version and consumers', async () => {
    const list = await until(workers, (l) => l.length === 1, 'the harness worker');
    expect(list[0]).toMatchObject({ pid: process.pid, version: serverVersion() });
    expect(list[0]?.consumers).toEqual(expect.arrayContaining(['mail', 'instances', 'maintenance']));
    expect(Date.now() - Date.parse(list[0]?.lastBeatAt ?? '')).toBeLessThan(15_000);
  });

  it('shows a second worker while it beats, and drops it when it stops', async () => {
    const stop = h.platform.heartbeats.start({ consumers: ['mail'], version: 'test' });
    const both = await until(workers, (l) => l.length === 2, 'two workers');
    expect(new Set(both.map((w) => w.id)).size).toBe(2);
    await stop();
    expect(await workers()).toHaveLength(1);
  });
});

describe('queues and failed jobs', () => {
  let jobId: string;

  it('shows a job that failed in the worker, with its error and without secrets', async () => {
    // An unknown maintenance job name makes the real worker throw: a genuine failure through BullMQ.
    const job = await h.platform.queues.maintenance.add(
      'ops-test-unknown',
      { version: '18.0', password: 'hunter2', nested: { deep: true } },
      { attempts: 1 },
    );
    jobId = String(job.id);
    const list = await until(failed, (l) => l.items.some((j) => j.id === jobId), 'the failed job');
    const item = list.items.find((j) => j.id === jobId);
    expect(item).toMatchObject({
      queue: 'maintenance',
      name: 'ops-test-unknown',
      failedReason: 'unknown maintenance job ops-test-unknown',
      attemptsMade: 1,
      maxAttempts: 1,
      data: { version: '18.0' },
    });
    expect(item?.stack).toContain('unknown maintenance job');
    expect(JSON.stringify(item)).not.toContain('hunter2');

    const depths = (await call(h.app, 'GET', '/api/v1/admin/system/queues', { client: support })).json() as QueueDepth[];
    expect(depths.map((q) => q.name).sort()).toEqual(['backups', 'instances', 'mail', 'maintenance']);
    expect(depths.find((q) => q.name === 'maintenance')?.failed).toBeGreaterThanOrEqual(1);
  });

  it('lets support read but not retry or remove', async () => {
    const url = `/api/v1/admin/system/queues/maintenance/failed/${jobId}`;
    expect((await call(h.app, 'POST', `${url}/retry`, { client: support })).statusCode).toBe(403);
    expect((await call(h.app, 'DELETE', url, { client: support })).statusCode).toBe(403);
  });

  it('retries a failed job: the worker runs it again', async () => {
    const before = (await failed()).items.find((j) => j.id === jobId);
    const res = await call(h.app, 'POST', `/api/v1/admin/system/queues/maintenance/failed/${jobId}/retry`, { client: admin });
    expect(res.statusCode, res.body).toBe(202);
    // It fails again (the name is still unknown), but from a new run.
    const again = await until(
      failed,
      (l) => l.items.some((j) => j.id === jobId && j.failedAt !== before?.failedAt),
      'the retried job to fail again',
    );
    expect(again.items.find((j) => j.id === jobId)?.attemptsMade).toBe(1);
  });

  it('removes a failed job, and answers stable codes for unknown queues and jobs', async () => {
    const url = `/api/v1/admin/system/queues/maintenance/failed/${jobId}`;
    expect((await call(h.app, 'DELETE', url, { client: admin })).statusCode).toBe(204);
    expect((await failed()).items.some((j) => j.id === jobId)).toBe(false);

    const gone = await call(h.app, 'DELETE', url, { client: admin });
    expect([gone.statusCode, gone.json().code]).toEqual([404, 'job_not_found']);
    const noQueue = await call(h.app, 'GET', '/api/v1/admin/system/queues/nope/failed', { client: support });
    expect([noQueue.statusCode, noQueue.json().code]).toEqual([404, 'queue_not_found']);

    const audit = await call(h.app, 'GET', `/api/v1/admin/audit-log?actorId=${admin.userId}`, { client: admin });
    const actions = (audit.json() as { items: { action: string; targetId: string }[] }).items.map((e) => `${e.action} ${e.targetId}`);
    expect(actions).toEqual(expect.arrayContaining([`admin.retry_job ${jobId}`, `admin.remove_job ${jobId}`]));
  });
});
