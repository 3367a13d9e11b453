import type { Step, Workflow } from '../jobs/workflow.js';
import type { InstanceOpsDeps } from './instance-context.js';
import { type InstanceNames, instanceNames } from './instance-names.js';
import type { InstanceRow } from './instances.repo.js';
import { provisionWorkflow } from './provision.workflow.js';

export interface DeleteContext {
  deps: InstanceOpsDeps;
  instance: InstanceRow;
  /** Work to do before anything is removed, e.g. a final backup (filled in by the backups feature). */
  beforeDelete: ((instance: InstanceRow) => Promise<void>)[];
}

/** A step that removes one of the instance's named resources. */
function removal(name: string, label: string, remove: (deps: InstanceOpsDeps, names: InstanceNames) => Promise<void>): Step<DeleteContext> {
  return { name, label, invoke: ({ deps, instance }) => remove(deps, instanceNames(deps.config.resourcePrefix, instance.id)) };
}

/**
 * Removing an instance: every step tolerates what it removes being gone already. Nothing to undo. It
 * supersedes an unfinished provisioning (whatever that made, it removes), and a deletion that failed
 * starts over when asked again.
 */
export const deleteWorkflow: Workflow<DeleteContext> = {
  kind: 'instance.delete',
  version: 1,
  supersedes: [provisionWorkflow.kind],
  startOverAfterFailure: true,
  steps: [
    {
      name: 'final-backup',
      label: 'Final backup',
      invoke: async ({ instance, beforeDelete }) => {
        for (const hook of beforeDelete) await hook(instance);
      },
    },
    {
      name: 'route',
      label: 'Removing the address',
      invoke: async ({ deps, instance }) => {
        await deps.edge.removeRoute(instance.id);
      },
    },
    removal('container', 'Removing the container', async (deps, { container }) => {
      await deps.runtime.removeContainer(container);
      await deps.runtime.removeContainer(`${container}-init`);
    }),
    removal('network', 'Removing the network', (deps, { network }) => deps.runtime.removeNetwork(network)),
    removal('storage', 'Removing storage', (deps, { volume }) => deps.runtime.removeVolume(volume)),
    removal('database', 'Dropping the database', (deps, { db }) => deps.tenantDb.dropDatabase(db)),
    removal('database-role', 'Dropping the database role', (deps, { role }) => deps.tenantDb.dropRole(role)),
  ],
};
