import { and, eq, inArray } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { DbOrTx } from '../db/client.js';
import type { Queues } from '../jobs/queues.js';
import { publishInstanceUpdate } from './instance-events.js';
import { enqueueInstanceJob } from './instance-jobs.js';
import { InstancesRepository } from './instances.repo.js';
import { instances } from './instances.tables.js';

const DELETABLE = ['pending', 'provisioning', 'running', 'stopped', 'failed'] as const;

/**
 * Every instance of the tenant goes through the normal deletion workflow, whose first step takes its final
 * backup (kept for the plan's retention; docs/backups.md). Used when billing retention ends and when an
 * operator deletes the tenant. Idempotent: instances already deleting are queued again, and the job id is
 * the instance's, so a repeated run (after a crash between the update and the queueing) never starts a
 * second deletion. Returns the slugs of the instances being deleted.
 */
export async function deleteTenantInstances(
  deps: { db: DbOrTx; queues: Queues; redis: Redis },
  tenantId: string,
  reason: string,
  actorId: string | null = null,
): Promise<string[]> {
  const repo = new InstancesRepository(deps.db);
  const candidates = await deps.db
    .select({ id: instances.id, slug: instances.slug })
    .from(instances)
    .where(and(eq(instances.tenantId, tenantId), inArray(instances.status, [...DELETABLE, 'deleting'])));
  for (const { id } of candidates) {
    await repo.transition(id, [...DELETABLE], 'deleting', { actorId, reason }, { desiredState: 'deleted' });
    await enqueueInstanceJob(deps.queues, id, 'delete', actorId);
    await publishInstanceUpdate(deps.redis, { id }).catch(() => undefined);
  }
  return candidates.map((c) => c.slug);
}
