import { randomUUID } from 'node:crypto';
import type { InstanceAction, Queues } from '../jobs/queues.js';
import { OPERATION_ATTEMPTS, OPERATION_BACKOFF } from '../jobs/retry-budget.js';

/**
 * Hands instance work to the worker. Provisioning and deletion use the instance id as job id, so
 * asking twice never runs two; other actions may queue up and are serialized per instance by the worker.
 */
export async function enqueueInstanceJob(queues: Queues, instanceId: string, action: InstanceAction, actorId: string | null) {
  const unique = action === 'provision' || action === 'delete';
  await queues.instances.add(
    action,
    { instanceId, action, actorId },
    {
      jobId: unique ? `${action}-${instanceId}` : `${action}-${instanceId}-${randomUUID()}`,
      attempts: OPERATION_ATTEMPTS,
      backoff: OPERATION_BACKOFF,
    },
  );
}

/**
 * Asks again for provisioning or deletion after an earlier run ended (a retry): the finished job keeps its
 * id for a while, and the queue would ignore a new one under the same id, so it is removed first.
 */
export async function requeueInstanceJob(queues: Queues, instanceId: string, action: 'provision' | 'delete', actorId: string | null) {
  await queues.instances.remove(`${action}-${instanceId}`);
  await enqueueInstanceJob(queues, instanceId, action, actorId);
}

/** Hands a move (an instance_moves row) to the worker; its id is the job's, so asking twice runs it once. */
export async function enqueueMoveJob(queues: Queues, move: { id: string; instanceId: string; requestedBy: string | null }) {
  await queues.instances.add(
    'move',
    { instanceId: move.instanceId, action: 'move', moveId: move.id, actorId: move.requestedBy },
    { jobId: `move-${move.id}`, attempts: OPERATION_ATTEMPTS, backoff: OPERATION_BACKOFF },
  );
}
