import type { Job, Queue } from 'bullmq';
import { conflict, DomainError } from '../errors/domain-error.js';
import type { Queues } from '../jobs/queues.js';
import type { FailedJob, QueueDepth } from './operations.schemas.js';
import type { WorkerHeartbeats, WorkerInfo } from './worker-heartbeats.js';

/** Keys whose values never leave the server, whatever job carries them. */
const SECRET_KEY = /pass|secret|token|key|auth|cookie|credential/i;
const MAX_VALUE_CHARS = 200;
const MAX_STACK_CHARS = 4000;

type DataSummary = FailedJob['data'];

/** A job's data as operators may see it: top-level scalars only, secrets and long values cut. */
export function summarizeJobData(data: unknown): DataSummary {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
  const out: DataSummary = {};
  for (const [key, value] of Object.entries(data)) {
    if (SECRET_KEY.test(key)) continue;
    if (typeof value === 'string') out[key] = value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[key] = value;
  }
  return out;
}

const toFailedJob = (queue: string, job: Job): FailedJob => ({
  id: String(job.id),
  queue,
  name: job.name,
  data: summarizeJobData(job.data),
  failedReason: job.failedReason ?? '',
  stack: job.stacktrace?.at(-1)?.slice(0, MAX_STACK_CHARS) ?? null,
  attemptsMade: job.attemptsMade,
  maxAttempts: job.opts.attempts ?? 1,
  createdAt: new Date(job.timestamp).toISOString(),
  failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
});

/** What operators see of the background machinery: live workers, queue depths, failed jobs (retry, remove). */
export class OperationsService {
  private readonly byName: Map<string, Queue>;

  constructor(private readonly deps: { queues: Queues; heartbeats: WorkerHeartbeats }) {
    this.byName = new Map(deps.queues.all.map((q) => [q.name, q]));
  }

  workers(): Promise<WorkerInfo[]> {
    return this.deps.heartbeats.list();
  }

  async queueDepths(): Promise<QueueDepth[]> {
    return Promise.all(
      [...this.byName.values()].map(async (queue) => {
        const [counts, paused] = await Promise.all([
          queue.getJobCounts('waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed', 'completed'),
          queue.isPaused(),
        ]);
        const n = (state: string) => counts[state] ?? 0;
        return {
          name: queue.name,
          paused,
          waiting: n('waiting') + n('prioritized') + n('waiting-children'),
          active: n('active'),
          delayed: n('delayed'),
          failed: n('failed'),
          completed: n('completed'),
        };
      }),
    );
  }

  /** Failed jobs of one queue, newest first. */
  async failedJobs(queueName: string, paging: { limit: number; offset: number }) {
    const queue = this.queue(queueName);
    const [jobs, total] = await Promise.all([queue.getFailed(paging.offset, paging.offset + paging.limit - 1), queue.getFailedCount()]);
    // A job removed between the two reads comes back as undefined.
    return { items: jobs.filter(Boolean).map((job) => toFailedJob(queue.name, job)), total };
  }

  /** Runs a failed job again from the start, with a fresh attempt budget. */
  async retry(queueName: string, jobId: string): Promise<void> {
    const job = await this.failedJob(queueName, jobId);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async remove(queueName: string, jobId: string): Promise<void> {
    const job = await this.failedJob(queueName, jobId);
    await job.remove();
  }

  private queue(name: string): Queue {
    const queue = this.byName.get(name);
    if (!queue) throw new DomainError('not_found', 'queue_not_found', `There is no queue "${name}".`);
    return queue;
  }

  private async failedJob(queueName: string, jobId: string): Promise<Job> {
    const job = await this.queue(queueName).getJob(jobId);
    if (!job) throw new DomainError('not_found', 'job_not_found', `Job ${jobId} is not in the ${queueName} queue.`);
    const state = await job.getState();
    if (state !== 'failed') throw conflict('job_not_failed', `Job ${jobId} is ${state}, not failed.`);
    return job;
  }
}
