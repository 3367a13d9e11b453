import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupsRepository } from '../backups/backups.repo.js';
import { extractBackup, loadFilestore } from '../backups/restore-source.js';
import { PermanentStepError, type Workflow } from '../jobs/workflow.js';
import { instanceLabels } from './instance-context.js';
import { instanceNames } from './instance-names.js';
import { InstancesRepository } from './instances.repo.js';
import { type MoveContext, routeToNewNode, startOnNewNode } from './move.workflow.js';
import { ODOO_DATA_DIR } from './odoo-config.js';

const names = ({ deps, move }: MoveContext) => instanceNames(deps.config.resourcePrefix, move.instanceId);

/** This failover's scratch directory: the same on every attempt, so a resumed run finds the extraction. */
const workDir = ({ deps, move }: MoveContext) => join(deps.config.backups.workDir, `failover-${move.id}`);

async function current({ deps, move }: MoveContext) {
  const instance = await new InstancesRepository(deps.database.db).findById(move.instanceId);
  if (!instance) throw new PermanentStepError('the instance is gone');
  return instance;
}

/**
 * Bringing an instance of a lost node back on another node (failover; docs/deploy.md, "A lost node"): its
 * service is removed through the managers (the lost node's engine is never asked), a new volume is made on the
 * planned node, the filestore of the instance's latest completed backup is unpacked into it (the restore's own
 * code), and Odoo starts there and is routed to. The database is not touched: it is in the platform's PostgreSQL
 * and is newer than any backup. What the instance loses is the files written since that backup (the move's RPO).
 * Nothing to undo: the old node is gone; a failed failover leaves the instance down, with the error, for the
 * operator.
 */
export const failoverWorkflow: Workflow<MoveContext> = {
  kind: 'instance.failover',
  version: 1,
  steps: [
    {
      name: 'remove-old',
      label: 'Removing Odoo from the lost node',
      invoke: (ctx) => ctx.deps.runtime.removeContainer(names(ctx).container),
    },
    {
      name: 'volume',
      label: 'Making its volume on the new node',
      invoke: async (ctx) => {
        const instance = await current(ctx);
        await ctx.deps.runtime.replaceLostVolume(
          names(ctx).volume,
          ctx.move.toNodeId,
          ctx.move.fromNodeId,
          instanceLabels(ctx.deps.config, instance),
          {
            image: instance.image,
            path: ODOO_DATA_DIR,
          },
        );
      },
    },
    {
      name: 'files',
      label: 'Restoring its files from the latest backup',
      invoke: async (ctx) => {
        const { deps, move } = ctx;
        const backup = move.backupId ? await new BackupsRepository(deps.database.db).find(move.backupId) : undefined;
        if (backup?.status !== 'completed') throw new PermanentStepError('the backup chosen for the failover is no longer available');
        const instance = await current(ctx);
        const { root } = await extractBackup(deps, backup, workDir(ctx), instance.version);
        await loadFilestore(deps, instance, root);
      },
    },
    startOnNewNode,
    routeToNewNode,
    {
      name: 'cleanup',
      label: 'Cleaning up',
      invoke: (ctx) => rm(workDir(ctx), { recursive: true, force: true }),
    },
  ],
};
