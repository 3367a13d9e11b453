import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../harness.js';
import { type ApiProcess, startApiProcess } from '../support/api-process.js';
import { postgres, redis } from '../support/dependencies.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

/**
 * PostgreSQL and Redis go away under a real API process and a real worker process, then come back.
 * Both processes must stay alive, /ready must say not ready while the dependency is away and ready
 * again after, and a job enqueued just before the outage must still be done (a confirmation mail,
 * through the outbox, the queue and the worker).
 */
const env = { QUEUE_PREFIX: `chaos-${randomUUID().slice(0, 8)}`, PROVISION_FROM_TEMPLATE: 'false' };

let api: ApiProcess;
let worker: ReturnType<typeof startWorkerProcess>;

interface Readiness {
  code: number;
  body: { status: string; checks: Record<string, { status: string; error?: string }> } | null;
}

async function ready(): Promise<Readiness> {
  try {
    const res = await fetch(`${api.url}/api/v1/ready`, { signal: AbortSignal.timeout(5000) });
    return { code: res.status, body: (await res.json()) as Readiness['body'] };
  } catch {
    return { code: 0, body: null };
  }
}

async function waitForReadiness(accept: (r: Readiness) => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  let last: Readiness = { code: 0, body: null };
  while (Date.now() < deadline) {
    last = await ready();
    if (accept(last)) return last;
    await sleep(200);
  }
  throw new Error(`/ready never showed ${what} within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${outputs()}`);
}

const isReady = (r: Readiness) => r.code === 200 && r.body?.status === 'ready';
const outputs = () => `--- api ---\n${api.output.join('')}\n--- worker ---\n${worker.output.join('')}`;

function expectAlive() {
  expect(api.exitCode, `the API exited\n${outputs()}`).toBeNull();
  expect(worker.exitCode, `the worker exited\n${outputs()}`).toBeNull();
}

async function signup(label: string) {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const res = await fetch(`${api.url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    },
    body: JSON.stringify({ email, password: STRONG_PASSWORD, name: 'Chaos', organization: `Org ${email}` }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return email;
}

async function waitForMail(to: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${api.url}/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`).catch(() => null);
    if (res?.ok && ((await res.json()) as unknown[]).length > 0) return;
    await sleep(250);
  }
  throw new Error(`no mail for ${to} within ${timeoutMs} ms\n${outputs()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  api = startApiProcess(await freePort(), env);
  worker = startWorkerProcess(env);
  await waitForReadiness(isReady, 60_000, 'ready at start');
}, 90_000);

afterAll(async () => {
  // Whatever happened, the machine's services run again for whatever comes next.
  postgres.start();
  redis.start();
  await Promise.all([killHard(api), killHard(worker)]);
}, 90_000);

describe('dependency restarts', () => {
  it('survives a PostgreSQL restart', async () => {
    const before = await signup('pg-before');
    postgres.stop();
    try {
      const down = await waitForReadiness((r) => r.code === 503 && r.body?.checks.postgres?.status === 'fail', 20_000, 'postgres failing');
      expect(down.body?.status).toBe('not_ready');
      // The pools' idle connections were cut ("terminating connection due to administrator command"), which
      // used to kill both processes: give them time to do so.
      await sleep(3000);
      expectAlive();
    } finally {
      postgres.start();
    }
    await waitForReadiness(isReady, 60_000, 'ready after PostgreSQL returned');
    expectAlive();
    // The very error that used to be unhandled happened, and was logged instead.
    const logged = api.output
      .join('')
      .split('\n')
      .find((line) => line.includes('"postgres connection error"'));
    expect(logged, outputs()).toMatch(/terminating connection due to administrator command/);
    const after = await signup('pg-after');
    await Promise.all([waitForMail(before), waitForMail(after)]);
  }, 150_000);

  it('survives a Redis restart', async () => {
    const before = await signup('redis-before');
    redis.stop();
    try {
      const down = await waitForReadiness((r) => r.code === 503 && r.body?.checks.redis?.status === 'fail', 20_000, 'redis failing');
      expect(down.body?.status).toBe('not_ready');
      expect(down.body?.checks.queue?.status).toBe('fail');
      await sleep(3000);
      expectAlive();
    } finally {
      redis.start();
    }
    // Ready again includes a fresh worker heartbeat: the worker reconnected on its own.
    await waitForReadiness(isReady, 60_000, 'ready after Redis returned');
    expectAlive();
    const after = await signup('redis-after');
    await Promise.all([waitForMail(before), waitForMail(after)]);
  }, 150_000);
});
