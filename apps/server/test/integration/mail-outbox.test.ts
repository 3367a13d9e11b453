import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDelivery } from '../../src/mail/mail.service.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { MAX_DELIVERY_ATTEMPTS, OutboxRepository } from '../../src/mail/outbox.repo.js';
import { type Harness, startHarness, uniqueEmail } from '../harness.js';

/**
 * A mail server that is away: each failed attempt is recorded on the message, which stays pending; the outbox sweep
 * queues the next attempt once its backoff is over, as a new job (the failed one's id is taken), until the last
 * attempt marks it failed. SMTP points at a closed loopback port: every send fails.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { SMTP_URL: 'smtp://127.0.0.1:1', DEV_MAILBOX: '' } });
});
afterAll(async () => {
  await h?.close();
});

const row = async (id: string) => {
  const [found] = await h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.id, id));
  if (!found) throw new Error(`outbox row ${id} is gone`);
  return found;
};

async function waitForAttempts(id: string, attempts: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const current = await row(id);
    if (current.attempts >= attempts) return current;
    if (Date.now() > deadline) throw new Error(`attempt ${attempts} of ${id} did not happen; last: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Moves the message's creation back, as if that much time had passed. */
const age = (id: string, seconds: number) =>
  h.platform.db
    .update(mailOutbox)
    .set({ createdAt: sql`now() - make_interval(secs => ${seconds})` })
    .where(eq(mailOutbox.id, id));

const dueIds = async () => (await new OutboxRepository(h.platform.db).due()).map((m) => m.id);

describe('the mail outbox when the mail server is away', () => {
  it('retries each failed message after its backoff, as a new job, and gives up after the last attempt', async () => {
    const to = uniqueEmail('outbox');
    await h.platform.mail.send({ to, subject: 'Hello', text: 'A message that cannot leave yet.', links: [] });
    const [queued] = await h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, to));
    if (!queued) throw new Error('the message is not in the outbox');

    const first = await waitForAttempts(queued.id, 1);
    expect(first.status).toBe('pending');
    expect(first.lastError).toMatch(/ECONNREFUSED|connect/i);

    // One failed attempt: not due before 10 s + 15 s after its creation, due after.
    await age(queued.id, 20);
    expect(await dueIds()).not.toContain(queued.id);
    await age(queued.id, 30);
    expect(await new OutboxRepository(h.platform.db).due()).toContainEqual({ id: queued.id, attempts: 1 });

    // The sweep's job for the second attempt is a new one: the first job's id is taken.
    const job = await queueDelivery(h.platform.queues, { id: queued.id, attempts: 1 });
    expect(job.id).toBe(`${queued.id}-after-1`);
    expect((await waitForAttempts(queued.id, 2)).status).toBe('pending');
    // Queued again for the same attempt count (a second sweep): the queue keeps one job.
    expect((await queueDelivery(h.platform.queues, { id: queued.id, attempts: 1 })).id).toBe(job.id);

    // The last attempt fails it for good: no longer due, whatever its age.
    await h.platform.db
      .update(mailOutbox)
      .set({ attempts: MAX_DELIVERY_ATTEMPTS - 1 })
      .where(eq(mailOutbox.id, queued.id));
    await queueDelivery(h.platform.queues, { id: queued.id, attempts: MAX_DELIVERY_ATTEMPTS - 1 });
    const last = await waitForAttempts(queued.id, MAX_DELIVERY_ATTEMPTS);
    expect(last.status).toBe('failed');
    await age(queued.id, 86_400);
    expect(await dueIds()).not.toContain(queued.id);
  });
});
