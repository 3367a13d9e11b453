import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { mailOutbox } from './mail.tables.js';
import type { MailMessage } from './mailer.js';

export const MAX_DELIVERY_ATTEMPTS = 8;

export class OutboxRepository {
  constructor(private readonly db: DbOrTx) {}

  async add(message: MailMessage): Promise<string> {
    const [row] = await this.db.insert(mailOutbox).values(message).returning({ id: mailOutbox.id });
    if (!row) throw new Error('outbox insert returned nothing');
    return row.id;
  }

  /** Locks one pending message for delivery; a concurrent worker skips it. */
  claim(id: string) {
    return this.db
      .select()
      .from(mailOutbox)
      .where(and(eq(mailOutbox.id, id), eq(mailOutbox.status, 'pending')))
      .for('update', { skipLocked: true })
      .then((rows) => rows[0]);
  }

  markSent(id: string) {
    return this.db
      .update(mailOutbox)
      .set({ status: 'sent', sentAt: new Date(), attempts: sql`${mailOutbox.attempts} + 1` })
      .where(eq(mailOutbox.id, id));
  }

  markFailed(id: string, error: string, attempts: number) {
    return this.db
      .update(mailOutbox)
      .set({ status: attempts >= MAX_DELIVERY_ATTEMPTS ? 'failed' : 'pending', attempts, lastError: error.slice(0, 2000) })
      .where(eq(mailOutbox.id, id));
  }

  /** Pending messages older than a few seconds: their enqueue may have been lost in a crash. */
  pendingIds(olderThanSeconds: number, limit = 100) {
    return this.db
      .select({ id: mailOutbox.id })
      .from(mailOutbox)
      .where(and(eq(mailOutbox.status, 'pending'), lt(mailOutbox.createdAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
      .orderBy(asc(mailOutbox.createdAt))
      .limit(limit)
      .then((rows) => rows.map((r) => r.id));
  }
}
