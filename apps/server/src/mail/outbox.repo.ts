import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { mailOutbox } from './mail.tables.js';
import type { MailMessage } from './mailer.js';

export const MAX_DELIVERY_ATTEMPTS = 8;
/** A message never tried is swept up after this (its hand-off to the queue was lost). */
const FIRST_SWEEP_SECONDS = 10;
/** The backoff between failed attempts doubles from this. */
const RETRY_BASE_SECONDS = 15;

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

  /**
   * Pending messages due for a delivery attempt: never tried and older than a few seconds (their hand-off to the
   * queue may have been lost in a crash), or tried and failed `attempts` times and older than the backoff for that
   * many: RETRY_BASE_SECONDS × (2^attempts − 1) after their creation (15 s, 45 s, 105 s, … about 32 min for the
   * last of MAX_DELIVERY_ATTEMPTS), so a mail server that is away for up to an hour loses nothing.
   */
  due(limit = 100): Promise<{ id: string; attempts: number }[]> {
    return this.db
      .select({ id: mailOutbox.id, attempts: mailOutbox.attempts })
      .from(mailOutbox)
      .where(
        and(
          eq(mailOutbox.status, 'pending'),
          lt(
            mailOutbox.createdAt,
            sql`now() - make_interval(secs => ${FIRST_SWEEP_SECONDS} + ${RETRY_BASE_SECONDS} * (power(2, ${mailOutbox.attempts}) - 1))`,
          ),
        ),
      )
      .orderBy(asc(mailOutbox.createdAt))
      .limit(limit);
  }
}
