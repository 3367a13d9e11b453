import { z } from 'zod';

export const workerInfoSchema = z
  .object({
    id: z.string().describe('Unique per worker process'),
    hostname: z.string(),
    pid: z.number().int(),
    version: z.string(),
    consumers: z.array(z.string()).describe('The queues this worker consumes'),
    startedAt: z.iso.datetime(),
    lastBeatAt: z.iso.datetime().describe('Heartbeats come every few seconds; a worker silent for 30 s drops out of the list'),
  })
  .meta({ id: 'WorkerInfo' });

export const queueDepthSchema = z
  .object({
    name: z.string(),
    paused: z.boolean(),
    waiting: z.number().int().describe('Waiting to be taken, prioritized or not'),
    active: z.number().int(),
    delayed: z.number().int().describe('Scheduled for later, including retries waiting for their backoff'),
    failed: z.number().int().describe('Failed for good (attempts used up); kept until retried or removed'),
    completed: z.number().int(),
  })
  .meta({ id: 'QueueDepth' });

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const failedJobSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    name: z.string(),
    data: z.record(z.string(), scalar).describe('The job’s top-level scalar fields, without anything that looks like a secret'),
    failedReason: z.string(),
    stack: z.string().nullable().describe('Stack trace of the last attempt'),
    attemptsMade: z.number().int(),
    maxAttempts: z.number().int(),
    createdAt: z.iso.datetime(),
    failedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'FailedJob' });

export const queueParams = z.object({ queue: z.string().max(60) });
export const failedJobParams = queueParams.extend({ jobId: z.string().min(1).max(200) });

export type QueueDepth = z.infer<typeof queueDepthSchema>;
export type FailedJob = z.infer<typeof failedJobSchema>;
