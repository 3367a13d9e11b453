import type { FastifyBaseLogger } from 'fastify';
import type { Db, DbOrTx } from '../db/client.js';
import type { Queues } from '../jobs/queues.js';
import { MailboxRepository } from './mailbox.repo.js';
import type { MailMessage } from './mailer.js';
import { OutboxRepository } from './outbox.repo.js';

/**
 * The one way a delivery is queued: one job per message and number of failed attempts, so a message whose attempt
 * failed gets a new job (an add with an existing job's id is ignored by the queue). A failed send is recorded on the
 * message, not thrown: the outbox sweep queues the next attempt when its backoff is over (OutboxRepository.due).
 * The job's own attempts cover a worker that could not reach PostgreSQL.
 */
export function queueDelivery(queues: Queues, message: { id: string; attempts: number }) {
  const jobId = message.attempts === 0 ? message.id : `${message.id}-after-${message.attempts}`;
  return queues.mail.add('deliver', { outboxId: message.id }, { jobId, attempts: 5, backoff: { type: 'exponential', delay: 2000 } });
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Mail leaves through the outbox: written in the same transaction as the change that causes it,
 * handed to the worker after commit, and swept up by the worker if that hand-off is lost.
 */
export class MailService {
  constructor(
    private readonly db: Db,
    private readonly queues: Queues,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Runs `work` in a transaction; mail it queues is dispatched only once the transaction commits. */
  async transaction<T>(work: (tx: Tx, queueMail: (message: MailMessage) => Promise<void>) => Promise<T>): Promise<T> {
    const ids: string[] = [];
    const result = await this.db.transaction((tx) =>
      work(tx, async (message) => {
        ids.push(await new OutboxRepository(tx).add(message));
      }),
    );
    await this.dispatch(ids);
    return result;
  }

  /** Queues mail outside any other change. */
  async send(message: MailMessage, db: DbOrTx = this.db): Promise<void> {
    await this.dispatch([await new OutboxRepository(db).add(message)]);
  }

  /** Local mode's mailbox: what was sent to an address, newest first. */
  mailbox(to: string) {
    return new MailboxRepository(this.db).listFor(to);
  }

  private async dispatch(ids: string[]) {
    for (const outboxId of ids) {
      try {
        await queueDelivery(this.queues, { id: outboxId, attempts: 0 });
      } catch (err) {
        // The worker's sweep delivers it later; the change itself already committed.
        this.log.warn({ err, outboxId }, 'could not enqueue mail; the outbox sweep will deliver it');
      }
    }
  }
}
