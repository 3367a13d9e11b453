import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import pg from 'pg';
import { STRONG_PASSWORD } from '../harness.js';
import { request } from './nginx.js';

/**
 * What the replica test of the stack (stack-deploy.swarm.test.ts) kills and how it writes: a task's container
 * SIGKILLed on its node (Swarm replaces the task), and a loop of password changes through the edge, each of which
 * commits a mail to the outbox and enqueues its delivery job (mail-delivery.job.ts), so every write leaves a job
 * the platform's own records can account for.
 */

/** The running tasks of a service with their containers. */
export async function runningTasks(docker: Docker, service: string) {
  const tasks = await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } });
  return tasks
    .filter((t) => t.Status?.State === 'running' && t.Status.ContainerStatus?.ContainerID)
    .map((t) => ({ id: t.ID as string, containerId: t.Status?.ContainerStatus?.ContainerID as string }));
}

/** `docker kill` (SIGKILL) of one running task's container of `service`; returns the task. */
export async function killOneTask(docker: Docker, service: string) {
  const [task] = await runningTasks(docker, service);
  if (!task) throw new Error(`no running task of ${service} to kill`);
  await docker.getContainer(task.containerId).kill({ signal: 'SIGKILL' });
  return task;
}

export interface WriteSample {
  sentAt: number;
  status: number;
  /** A probe that follows a lost answer (its 400 "wrong password" is expected, not a failure). */
  probe?: boolean;
  error?: string;
}

/**
 * One user's password changes (POST /api/v1/me/password, back and forth between two passwords), one at a time,
 * `pauseMs` apart, until stopped. A change whose answer was lost (a 5xx, a reset) may or may not have been applied:
 * the next request then tries to change it back, which answers 204 if it had been applied and 400 if not; either
 * way the password is known again.
 */
export function startPasswordChanges(edge: { port: number; host: string }, token: string, pauseMs: number) {
  const passwords = [STRONG_PASSWORD, `${STRONG_PASSWORD}-b`];
  const samples: WriteSample[] = [];
  let current = 0;
  let stopped = false;
  const change = async (from: number): Promise<WriteSample> => {
    const sentAt = Date.now();
    try {
      const res = await request(edge.port, edge.host, '/api/v1/me/password', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: passwords[from], newPassword: passwords[1 - from] }),
        timeoutMs: 10_000,
      });
      return { sentAt, status: res.status, ...(res.status === 204 ? {} : { error: res.body.slice(0, 200) }) };
    } catch (err) {
      return { sentAt, status: 0, error: (err as Error).message };
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const sample = await change(current);
      samples.push(sample);
      if (sample.status === 204) current = 1 - current;
      else if (sample.status === 0 || sample.status >= 500) {
        await sleep(pauseMs);
        samples.push({ ...(await change(1 - current)), probe: true });
      }
      await sleep(pauseMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/**
 * Holds every mail delivery at its send, as a slow SMTP server would: local mode's mailer writes to the dev mailbox,
 * and an exclusive lock on it makes each delivery wait there, its job in progress, until `release`.
 */
export async function holdMailDeliveries(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query('lock table dev_mailbox in exclusive mode');
  return {
    async release() {
      try {
        await client.query('commit');
      } finally {
        await client.end();
      }
    },
  };
}

/** The "password changed" mails of `email` in the platform's outbox (by status) and in its dev mailbox. */
export async function passwordMails(databaseUrl: string, email: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const subject = 'Your password was changed';
    const outbox = await client.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from mail_outbox where "to" = $1 and subject = $2 group by status',
      [email, subject],
    );
    const mailbox = await client.query<{ n: number }>('select count(*)::int as n from dev_mailbox where "to" = $1 and subject = $2', [
      email,
      subject,
    ]);
    const count = (status: string) => outbox.rows.find((r) => r.status === status)?.n ?? 0;
    return { sent: count('sent'), pending: count('pending'), failed: count('failed'), inMailbox: mailbox.rows[0]?.n ?? 0 };
  } finally {
    await client.end();
  }
}
