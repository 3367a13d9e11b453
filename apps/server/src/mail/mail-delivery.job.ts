import type { Db } from '../db/client.js';
import type { Mailer } from './mailer.js';
import { OutboxRepository } from './outbox.repo.js';

/** Delivers one outbox message. Idempotent: a message already sent (or being sent elsewhere) is skipped. */
export async function deliverMail(db: Db, mailer: Mailer, outboxId: string): Promise<'sent' | 'skipped'> {
  return db.transaction(async (tx) => {
    const outbox = new OutboxRepository(tx);
    const message = await outbox.claim(outboxId);
    if (!message) return 'skipped';
    try {
      await mailer.send({ to: message.to, subject: message.subject, text: message.text, links: message.links });
    } catch (err) {
      await outbox.markFailed(outboxId, err instanceof Error ? err.message : String(err), message.attempts + 1);
      return 'skipped';
    }
    await outbox.markSent(outboxId);
    return 'sent';
  });
}
