import type { Workflow } from '../jobs/workflow.js';
import type { InstanceOpsDeps } from './instance-context.js';
import { instanceNames } from './instance-names.js';
import type { InstanceRow } from './instances.repo.js';

export interface DeleteContext {
  deps: InstanceOpsDeps;
  instance: InstanceRow;
  /** Work to do before anything is removed, e.g. a final backup (filled in by the backups feature). */
  beforeDelete: ((instance: InstanceRow) => Promise<void>)[];
}

/** Removing an instance: every step tolerates what it removes being gone already. Nothing to undo. */
export const deleteWorkflow: Workflow<DeleteContext> = {
  kind: 'instance.delete',
  maxAttempts: 10,
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
    {
      name: 'container',
      label: 'Removing the container',
      invoke: async ({ deps, instance }) => {
        const { container } = instanceNames(deps.config.resourcePrefix, instance.id);
        await deps.runtime.removeContainer(container);
        await deps.runtime.removeContainer(`${container}-init`);
      },
    },
    {
      name: 'network',
      label: 'Removing the network',
      invoke: ({ deps, instance }) => deps.runtime.removeNetwork(instanceNames(deps.config.resourcePrefix, instance.id).network),
    },
    {
      name: 'storage',
      label: 'Removing storage',
      invoke: ({ deps, instance }) => deps.runtime.removeVolume(instanceNames(deps.config.resourcePrefix, instance.id).volume),
    },
    {
      name: 'database',
      label: 'Dropping the database',
      invoke: ({ deps, instance }) => deps.tenantDb.dropDatabase(instanceNames(deps.config.resourcePrefix, instance.id).db),
    },
    {
      name: 'database-role',
      label: 'Dropping the database role',
      invoke: ({ deps, instance }) => deps.tenantDb.dropRole(instanceNames(deps.config.resourcePrefix, instance.id).role),
    },
  ],
};
