import type { Queues } from '../jobs/queues.js';
import { OPERATION_ATTEMPTS, OPERATION_BACKOFF } from '../jobs/retry-budget.js';

/** Jobs of the `backups` queue: one backup or one restore each, by id (the row says what to do). */
export type BackupJob = { kind: 'backup'; backupId: string } | { kind: 'restore'; restoreId: string };

/** Maintenance jobs: due scheduled backups (and lost jobs re-queued), and retention. */
export const BACKUP_SCHEDULE_JOB = 'backup-schedule';
export const BACKUP_RETENTION_JOB = 'backup-retention';
export const BACKUP_RETENTION_EVERY_MS = 3600_000;

/** A backup is remade from the start on each attempt: three, a minute or so apart. */
export const BACKUP_ATTEMPTS = 3;

/** The job id is the backup's: asking twice (the scheduler re-queueing a lost job) never runs two. */
export async function enqueueBackup(queues: Queues, backupId: string) {
  await queues.backups.add(
    'backup',
    { kind: 'backup', backupId },
    { jobId: `backup-${backupId}`, attempts: BACKUP_ATTEMPTS, backoff: { type: 'exponential', delay: 20_000 } },
  );
}

/** A restore resumes where it stopped (a workflow), so it gets the operations' retry budget. */
export async function enqueueRestore(queues: Queues, restoreId: string) {
  await queues.backups.add(
    'restore',
    { kind: 'restore', restoreId },
    { jobId: `restore-${restoreId}`, attempts: OPERATION_ATTEMPTS, backoff: OPERATION_BACKOFF },
  );
}
