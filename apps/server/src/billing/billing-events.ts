import { count, desc, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import { conflict, DomainError, invalid } from '../errors/domain-error.js';
import type { Queues } from '../jobs/queues.js';
import type { MailService } from '../mail/mail.service.js';
import type { Applied, BillingService } from './billing.service.js';
import { billingEvents } from './billing.tables.js';
import { type BillingProvider, WebhookSignatureError } from './billing-provider.js';
import { storedStripeEventChange } from './stripe/stripe-events.js';

/** Processes one stored provider event: `{ eventId }`. */
export const BILLING_EVENT_JOB = 'billing-event';

type EventRow = typeof billingEvents.$inferSelect;

const jobOptions = (eventId: string, suffix = '') => ({
  jobId: `billing-event-${eventId}${suffix}`,
  attempts: 8,
  backoff: { type: 'exponential' as const, delay: 5000 },
});

/**
 * Webhook intake and processing: an event is verified, stored once by its id, then applied by the worker
 * exactly once (the row is locked and marked in the transaction that applies it). A failure is recorded
 * on the row and rethrown so the queue retries; the admin can retry by hand once the queue gave up.
 */
export class BillingEvents {
  constructor(
    private readonly deps: {
      db: Db;
      queues: Queues;
      mail: MailService;
      billing: BillingService;
      billingProvider: BillingProvider | null;
      log: FastifyBaseLogger;
    },
  ) {}

  /** Verifies and stores a webhook. Nothing is stored unless the signature holds. */
  async receive(rawBody: Buffer, signature: string | undefined): Promise<void> {
    const provider = this.deps.billingProvider;
    if (!provider) throw new DomainError('not_found', 'billing_manual', 'Stripe is not configured on this platform.');
    let event: ReturnType<BillingProvider['readWebhook']>;
    try {
      event = provider.readWebhook(rawBody, signature);
    } catch (err) {
      if (err instanceof WebhookSignatureError) throw invalid('invalid_signature', `The webhook signature is not valid: ${err.message}`);
      throw err;
    }
    // Uninterpretable events are stored as received: the job then fails on them, visibly in the event log.
    const ignored = interpret(event.payload)?.kind === 'ignored';
    const inserted = await this.deps.db
      .insert(billingEvents)
      .values({
        id: event.id,
        provider: provider.kind,
        type: event.type,
        occurredAt: event.occurredAt,
        payload: event.payload,
        // Event types the platform does not act on are acknowledged and kept, never processed.
        status: ignored ? 'ignored' : 'received',
        processedAt: ignored ? new Date() : null,
      })
      .onConflictDoNothing()
      .returning({ status: billingEvents.status });
    if (ignored) return;
    // A redelivery of an event not processed yet is enqueued again (the job id makes it a no-op while queued).
    const status = inserted[0]?.status ?? (await this.find(event.id))?.status;
    if (status === 'received' || status === 'failed') {
      await this.deps.queues.maintenance.add(BILLING_EVENT_JOB, { eventId: event.id }, jobOptions(event.id));
    }
  }

  /** The worker's side: applies a stored event once. */
  async process(eventId: string): Promise<string> {
    let applied: Applied | null = null;
    try {
      const outcome = await this.deps.mail.transaction(async (tx, queueMail) => {
        const [row] = await tx.select().from(billingEvents).where(eq(billingEvents.id, eventId)).for('update');
        if (!row) return 'missing';
        if (row.status === 'processed' || row.status === 'ignored') return `already ${row.status}`;
        const change = storedStripeEventChange(row.payload);
        applied = await this.deps.billing.applyInTx(tx, queueMail, change, row.occurredAt, { eventId, actorId: null });
        // An event about no tenant of ours (another app on the same Stripe account) is kept as ignored.
        const status = change.kind === 'ignored' || applied.tenantId === null ? 'ignored' : 'processed';
        await tx
          .update(billingEvents)
          .set({
            status,
            tenantId: applied.tenantId,
            attempts: sql`${billingEvents.attempts} + 1`,
            error: applied.tenantId === null && change.kind !== 'ignored' ? `no tenant: ${applied.result}` : null,
            processedAt: new Date(),
          })
          .where(eq(billingEvents.id, eventId));
        return applied.result;
      });
      if (applied) await this.deps.billing.afterApply(applied);
      return outcome;
    } catch (err) {
      const message = describeError(err);
      await this.deps.db
        .update(billingEvents)
        .set({ status: 'failed', attempts: sql`${billingEvents.attempts} + 1`, error: message.slice(0, 2000) })
        .where(eq(billingEvents.id, eventId));
      throw err;
    }
  }

  find(id: string): Promise<EventRow | null> {
    return this.deps.db
      .select()
      .from(billingEvents)
      .where(eq(billingEvents.id, id))
      .then((r) => r[0] ?? null);
  }

  async list(query: { status?: EventRow['status']; limit: number; offset: number }) {
    const where = query.status ? eq(billingEvents.status, query.status) : undefined;
    const [rows, [total]] = await Promise.all([
      this.deps.db
        .select()
        .from(billingEvents)
        .where(where)
        .orderBy(desc(billingEvents.receivedAt))
        .limit(query.limit)
        .offset(query.offset),
      this.deps.db.select({ n: count() }).from(billingEvents).where(where),
    ]);
    return { items: rows.map(toBillingEventDto), total: total?.n ?? 0 };
  }

  /** Enqueues a failed event again (a fresh job id: the queue may still hold the failed one). */
  async retry(id: string): Promise<void> {
    const row = await this.find(id);
    if (!row) throw new DomainError('not_found', 'event_not_found', 'No billing event with this id.');
    if (row.status !== 'failed' && row.status !== 'received') {
      throw conflict('event_not_failed', `This event is ${row.status}; only failed or pending events can be retried.`);
    }
    await this.deps.queues.maintenance.add(BILLING_EVENT_JOB, { eventId: id }, jobOptions(id, `-retry-${Date.now()}`));
  }
}

function interpret(payload: Record<string, unknown>) {
  try {
    return storedStripeEventChange(payload);
  } catch {
    return null;
  }
}

/** The database's own words when a query failed (the driver's error is the cause of the ORM's). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.cause.message} (${err.message.split('\n')[0]})` : err.message;
}

export const toBillingEventDto = (row: EventRow) => ({
  id: row.id,
  provider: row.provider,
  type: row.type,
  status: row.status,
  attempts: row.attempts,
  error: row.error,
  tenantId: row.tenantId,
  occurredAt: row.occurredAt.toISOString(),
  receivedAt: row.receivedAt.toISOString(),
  processedAt: row.processedAt?.toISOString() ?? null,
});
