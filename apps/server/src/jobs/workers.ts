import { Worker } from 'bullmq';
import { deliverMail } from '../mail/mail-delivery.job.js';
import { MailboxRepository } from '../mail/mailbox.repo.js';
import type { Mailer } from '../mail/mailer.js';
import { OutboxRepository } from '../mail/outbox.repo.js';
import { createSmtpMailer } from '../mail/smtp-mailer.js';
import type { Platform } from '../platform.js';
import { type MailJob, QUEUE_NAMES, redisConnection } from './queues.js';

const OUTBOX_SWEEP_EVERY_MS = 15_000;

export function createMailer(platform: Platform): Mailer {
  const { config, db } = platform;
  return config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : new MailboxRepository(db);
}

/** Starts every queue consumer of the worker process. */
export async function startWorkers(platform: Platform, options: { prefix?: string } = {}) {
  const { db, log, config, queues } = platform;
  const connection = redisConnection(config.redisUrl);
  const prefix = options.prefix ?? 'saas';
  const mailer = createMailer(platform);

  const mailWorker = new Worker<MailJob>(
    QUEUE_NAMES.mail,
    async (job) => {
      const result = await deliverMail(db, mailer, job.data.outboxId);
      log.info({ outboxId: job.data.outboxId, result }, 'mail delivery');
      return result;
    },
    { connection, prefix, concurrency: 4 },
  );

  const maintenanceWorker = new Worker(
    QUEUE_NAMES.maintenance,
    async (job) => {
      if (job.name === 'outbox-sweep') {
        const ids = await new OutboxRepository(db).pendingIds(10);
        for (const outboxId of ids) await queues.mail.add('deliver', { outboxId }, { jobId: outboxId });
        return { requeued: ids.length };
      }
      throw new Error(`unknown maintenance job ${job.name}`);
    },
    { connection, prefix, concurrency: 1 },
  );

  await queues.maintenance.upsertJobScheduler('outbox-sweep', { every: OUTBOX_SWEEP_EVERY_MS }, { name: 'outbox-sweep' });

  for (const worker of [mailWorker, maintenanceWorker]) {
    worker.on('failed', (job, err) => log.error({ queue: worker.name, jobId: job?.id, err: err.message }, 'job failed'));
  }
  await Promise.all([mailWorker.waitUntilReady(), maintenanceWorker.waitUntilReady()]);

  return {
    async close() {
      await Promise.all([mailWorker.close(), maintenanceWorker.close()]);
    },
  };
}
