import { type Job, Worker } from 'bullmq';
import { BACKUP_RETENTION_EVERY_MS, BACKUP_RETENTION_JOB, BACKUP_SCHEDULE_JOB, type BackupJob } from '../backups/backup-jobs.js';
import { applyRetention, scheduleBackups } from '../backups/backup-maintenance.js';
import { BackupRunner } from '../backups/backup-runner.js';
import { RestoreRunner } from '../backups/restore-runner.js';
import { BILLING_EVENT_JOB } from '../billing/billing-events.js';
import { ENFORCE_ALL_JOB, ENFORCE_TENANT_JOB, enforceAll, enforceTenant } from '../billing/enforcement.js';
import { countUsage, USAGE_COUNT_JOB } from '../billing/usage.js';
import { RENEW_CERTIFICATES_JOB, renewCertificates } from '../certificates/certificate-renewal.job.js';
import { EXPIRE_DOMAIN_CLAIMS_EVERY_MS, EXPIRE_DOMAIN_CLAIMS_JOB, expireDomainClaims } from '../domains/domain-claims.js';
import { domainRemoved, type EdgeJobDeps, verifyDomain } from '../domains/domains.jobs.js';
import { DOMAIN_REMOVED_JOB, type DomainRemovedJob, VERIFY_DOMAIN_JOB } from '../domains/domains.service.js';
import { isDependencyOutage } from '../errors/dependency-outage.js';
import { InstanceMoves } from '../instances/instance-moves.js';
import { Reconciler } from '../instances/reconciler.js';
import { buildTemplate, templatesToBuild } from '../instances/template-builder.js';
import { queueDelivery } from '../mail/mail.service.js';
import { deliverMail } from '../mail/mail-delivery.job.js';
import { MailboxRepository } from '../mail/mailbox.repo.js';
import type { Mailer } from '../mail/mailer.js';
import { OutboxRepository } from '../mail/outbox.repo.js';
import { createSmtpMailer } from '../mail/smtp-mailer.js';
import { serverVersion } from '../paths.js';
import type { Platform } from '../platform.js';
import { enforceEgressPolicy } from '../runtime/egress-policy.js';
import { type InstanceJob, type MailJob, QUEUE_NAMES, redisConnection } from './queues.js';

const OUTBOX_SWEEP_EVERY_MS = 15_000;

export function createMailer(platform: Platform): Mailer {
  const { config, db } = platform;
  return config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : new MailboxRepository(db);
}

type Consumer = 'mail' | 'instances' | 'maintenance' | 'backups';

export interface WorkerOptions {
  /** Which queues this process consumes (default: all). */
  consumers?: Consumer[];
  /** Schedule the periodic maintenance jobs (reconciler, outbox sweep, template builds); tests turn it off. */
  maintenance?: boolean;
}

/** Starts the queue consumers of the worker process. */
export async function startWorkers(platform: Platform, options: WorkerOptions = {}) {
  const { db, log, config, queues } = platform;
  const connection = redisConnection(config.redisUrl);
  const prefix = config.queuePrefix;
  const opsDeps = {
    config,
    database: platform.database,
    runtime: platform.runtime,
    tenantDb: platform.tenantDb,
    backupStorage: platform.backupStorage,
    edge: platform.edge,
    redis: platform.redis,
    log,
  };
  const reconciler = new Reconciler(opsDeps, queues, platform.egress, platform.egressStates);
  const edgeDeps: EdgeJobDeps = { ...opsDeps, issuer: platform.acme };
  const billingDeps = { ...opsDeps, db, queues, mail: platform.mail, billingProvider: platform.billingProvider };
  const backupDeps = { ...opsDeps, queues };

  const factories: Record<Consumer, () => Worker> = {
    mail: () => {
      const mailer = createMailer(platform);
      return new Worker<MailJob>(
        QUEUE_NAMES.mail,
        async (job) => {
          const result = await deliverMail(db, mailer, job.data.outboxId);
          log.info({ outboxId: job.data.outboxId, result }, 'mail delivery');
          return result;
        },
        // A killed worker's deliveries are taken back within ~20 s (lock lost after 15 s, checked every 5 s);
        // deliverMail skips a message already marked sent (one cut off between its send and that mark goes twice).
        { connection, prefix, concurrency: 4, lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 10 },
      );
    },
    // A worker killed mid-job loses its lock; after lockDuration another worker (or this one restarted)
    // takes the job back from "stalled" and the workflow resumes from its last finished step.
    instances: () => {
      const moves = new InstanceMoves(opsDeps);
      return new Worker<InstanceJob>(
        QUEUE_NAMES.instances,
        async (job) => {
          const data = job.data;
          const result =
            data.action === 'move'
              ? await moves.run(data.moveId)
              : await platform.instanceOps.run(data.action, data.instanceId, data.actorId);
          log.info({ instanceId: data.instanceId, action: data.action, result }, 'instance job done');
          return result;
        },
        { connection, prefix, concurrency: 4, lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 10 },
      );
    },
    // A killed worker's backup or restore is taken back after lockDuration: a backup starts over, a restore resumes.
    backups: () => {
      const backups = new BackupRunner(opsDeps);
      const restores = new RestoreRunner(opsDeps);
      return new Worker<BackupJob>(
        QUEUE_NAMES.backups,
        async (job) => {
          const data = job.data;
          const result =
            data.kind === 'backup'
              ? await backups.run(data.backupId, { lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) })
              : await restores.run(data.restoreId);
          log.info({ job: job.name, id: data.kind === 'backup' ? data.backupId : data.restoreId, result }, 'backup job done');
          return result;
        },
        { connection, prefix, concurrency: config.backups.concurrency, lockDuration: 30_000, stalledInterval: 10_000, maxStalledCount: 10 },
      );
    },
    maintenance: () =>
      new Worker(
        QUEUE_NAMES.maintenance,
        async (job) => {
          try {
            return await runMaintenance(job);
          } catch (err) {
            // A scheduled pass that meets PostgreSQL or Redis away leaves nothing the next pass will not do: skipped, not failed.
            if (!job.repeatJobKey || !isDependencyOutage(err)) throw err;
            platform.dependencyError(`maintenance ${job.name}`, err as Error);
            return { skipped: 'a dependency is away; the next scheduled pass does it' };
          }
        },
        { connection, prefix, concurrency: 2, lockDuration: 60_000 },
      ),
  };

  async function runMaintenance(job: Job) {
    switch (job.name) {
      case 'outbox-sweep': {
        const due = await new OutboxRepository(db).due();
        for (const message of due) await queueDelivery(queues, message);
        return { requeued: due.length };
      }
      case 'reconcile':
        return { findings: await reconciler.run() };
      case 'build-template':
        return { result: await buildTemplate(opsDeps, String(job.data.version)) };
      case VERIFY_DOMAIN_JOB:
        return { result: await verifyDomain(edgeDeps, String(job.data.domainId)) };
      case DOMAIN_REMOVED_JOB:
        return { result: await domainRemoved(edgeDeps, job.data as DomainRemovedJob) };
      case RENEW_CERTIFICATES_JOB:
        return renewCertificates(edgeDeps);
      case EXPIRE_DOMAIN_CLAIMS_JOB:
        return expireDomainClaims(edgeDeps);
      case BILLING_EVENT_JOB:
        return { result: await platform.billingEvents.process(String(job.data.eventId)) };
      case ENFORCE_TENANT_JOB:
        return { result: await enforceTenant(billingDeps, String(job.data.tenantId)) };
      case ENFORCE_ALL_JOB:
        return enforceAll(billingDeps);
      case USAGE_COUNT_JOB:
        return countUsage(billingDeps);
      case BACKUP_SCHEDULE_JOB:
        return scheduleBackups(backupDeps);
      case BACKUP_RETENTION_JOB:
        return applyRetention(backupDeps);
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }

  const consumers = options.consumers ?? (Object.keys(factories) as Consumer[]);
  const workers = consumers.map((name) => factories[name]());
  for (const worker of workers) {
    worker.on('failed', (job, err) => log.error({ queue: worker.name, jobId: job?.id, err: err.message }, 'job failed'));
    // Its connection's errors while Redis is away: BullMQ reconnects by itself, one line per 30 s is enough.
    worker.on('error', (err) => platform.dependencyError(`worker ${worker.name}`, err));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // Instance roles made before the instance group existed join it, or pg_hba would shut their Odoo out.
  await platform.tenantDb
    .ensureInstanceGroup()
    .catch((err: Error) => log.warn({ err: err.message }, 'could not admit instance roles to their group; retried at the next start'));
  // Before any instance starts here: instance networks get their egress rules (the reconciler keeps them).
  if (consumers.includes('instances') || consumers.includes('maintenance'))
    await enforceEgressPolicy(platform.egress, log, platform.egressStates);
  // Operators (admin System page) and /ready see this process while it beats.
  const stopHeartbeat = platform.heartbeats.start({ consumers, version: serverVersion() });

  if (options.maintenance !== false && consumers.includes('maintenance')) {
    await queues.maintenance.upsertJobScheduler('outbox-sweep', { every: OUTBOX_SWEEP_EVERY_MS }, { name: 'outbox-sweep' });
    await queues.maintenance.upsertJobScheduler('reconcile', { every: config.reconcileIntervalSeconds * 1000 }, { name: 'reconcile' });
    // Certificates: daily, and once now (a worker that was down for a while catches up).
    await queues.maintenance.upsertJobScheduler(RENEW_CERTIFICATES_JOB, { every: 24 * 3600_000 }, { name: RENEW_CERTIFICATES_JOB });
    await queues.maintenance.add(RENEW_CERTIFICATES_JOB, {}, { jobId: `${RENEW_CERTIFICATES_JOB}-start-${Date.now()}` });
    await queues.maintenance.upsertJobScheduler(
      EXPIRE_DOMAIN_CLAIMS_JOB,
      { every: EXPIRE_DOMAIN_CLAIMS_EVERY_MS },
      { name: EXPIRE_DOMAIN_CLAIMS_JOB },
    );
    // Billing: grace and retention end without an event, so every tenant is re-evaluated regularly.
    await queues.maintenance.upsertJobScheduler(
      ENFORCE_ALL_JOB,
      { every: config.billing.enforceIntervalSeconds * 1000 },
      { name: ENFORCE_ALL_JOB },
    );
    await queues.maintenance.upsertJobScheduler(USAGE_COUNT_JOB, { every: 24 * 3600_000 }, { name: USAGE_COUNT_JOB });
    // Backups: due scheduled ones are looked for every few minutes (each instance has its own time of day).
    await queues.maintenance.upsertJobScheduler(
      BACKUP_SCHEDULE_JOB,
      { every: config.backups.scheduleIntervalSeconds * 1000 },
      { name: BACKUP_SCHEDULE_JOB },
    );
    await queues.maintenance.upsertJobScheduler(BACKUP_RETENTION_JOB, { every: BACKUP_RETENTION_EVERY_MS }, { name: BACKUP_RETENTION_JOB });
    for (const version of await templatesToBuild(opsDeps)) {
      await queues.maintenance.add('build-template', { version }, { jobId: `build-template-${version}-${Date.now()}` });
    }
  }

  return {
    reconciler,
    edgeDeps,
    async close() {
      await stopHeartbeat();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
