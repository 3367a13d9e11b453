import { type ConnectionOptions, Queue } from 'bullmq';
import type { BackupJob } from '../backups/backup-jobs.js';

export const QUEUE_NAMES = { mail: 'mail', maintenance: 'maintenance', instances: 'instances', backups: 'backups' } as const;

export type InstanceAction = 'provision' | 'converge' | 'restart' | 'delete' | 'update-limits';

export type InstanceJob =
  | {
      instanceId: string;
      action: InstanceAction;
      actorId: string | null;
    }
  /** A move to another node (instance_moves row): its own job, as the move is the workflow's subject. */
  | { instanceId: string; action: 'move'; moveId: string; actorId: string | null };

export interface MailJob {
  outboxId: string;
}

export interface Queues {
  mail: Queue<MailJob>;
  maintenance: Queue;
  instances: Queue<InstanceJob>;
  /** Backups and restores: heavy, so their own queue and concurrency (BACKUP_CONCURRENCY). */
  backups: Queue<BackupJob>;
  /** Every queue above, for what applies to each (error listeners, depths, closing). */
  all: Queue[];
  close(): Promise<void>;
}

/** BullMQ wants its own connections (blocking commands); these options make them from the Redis URL. */
export function redisConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    db: Number(url.pathname.slice(1) || 0),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    // Reconnect for ever, at most 5 s apart (BullMQ's default backs off to 20 s, so a worker would notice a
    // restarted Redis late).
    retryStrategy: (times: number) => Math.min(500 * times, 5_000),
  };
}

/**
 * The producers' side (Queue, not Worker): a command waits for a reconnect a few times, then fails, so a
 * request that enqueues answers with an error instead of hanging while Redis is away; what was committed
 * before is picked up later (the outbox sweep, the reconciler).
 */
export function producerConnection(redisUrl: string): ConnectionOptions {
  return { ...redisConnection(redisUrl), maxRetriesPerRequest: 3 };
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const connection = producerConnection(redisUrl);
  const defaultJobOptions = { removeOnComplete: 1000, removeOnFail: 5000 };
  const mail = new Queue<MailJob>(QUEUE_NAMES.mail, { connection, prefix, defaultJobOptions });
  const maintenance = new Queue(QUEUE_NAMES.maintenance, { connection, prefix, defaultJobOptions });
  const instances = new Queue<InstanceJob>(QUEUE_NAMES.instances, { connection, prefix, defaultJobOptions });
  const backups = new Queue<BackupJob>(QUEUE_NAMES.backups, { connection, prefix, defaultJobOptions });
  const all = [mail, maintenance, instances, backups] as Queue[];
  return {
    mail,
    maintenance,
    instances,
    backups,
    all,
    close: async () => {
      await Promise.all(all.map((queue) => queue.close()));
    },
  };
}
