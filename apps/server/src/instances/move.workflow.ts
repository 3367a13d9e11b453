import { PermanentStepError, type Step, type Workflow } from '../jobs/workflow.js';
import { ensureServerContainer, type InstanceOpsDeps, wantsRunning } from './instance-context.js';
import { applyInstanceRoute } from './instance-edge.js';
import type { InstanceMoveRow } from './instance-moves.repo.js';
import { InstanceMovesRepository } from './instance-moves.repo.js';
import { instanceNames } from './instance-names.js';
import { InstancesRepository } from './instances.repo.js';
import { ODOO_DATA_DIR } from './odoo-config.js';
import { healthFailureText, waitForOdoo } from './odoo-health.js';

export interface MoveContext {
  deps: InstanceOpsDeps;
  move: InstanceMoveRow;
}

const names = ({ deps, move }: MoveContext) => instanceNames(deps.config.resourcePrefix, move.instanceId);

async function current({ deps, move }: MoveContext) {
  const instance = await new InstancesRepository(deps.database.db).findById(move.instanceId);
  if (!instance) throw new PermanentStepError('the instance is gone');
  return instance;
}

/** Odoo where its volume is now (if its owner wants it running), and the edge routed there. */
async function startWhereTheVolumeIs(ctx: MoveContext) {
  const instance = await current(ctx);
  if (instance.status !== 'running' || !wantsRunning(instance)) return;
  const placed = (await ensureServerContainer(ctx.deps, instance)).instance;
  await applyInstanceRoute(ctx.deps, placed);
}

/** Odoo started where its volume is now and checked (a stopped instance only recorded there); shared by failover. */
export const startOnNewNode: Step<MoveContext> = {
  name: 'start',
  label: 'Starting Odoo on the new node',
  invoke: async (ctx) => {
    const { deps } = ctx;
    const instance = await current(ctx);
    if (instance.status !== 'running' || !wantsRunning(instance)) {
      // Not started: where it will start is its volume's node.
      const node = (await deps.runtime.listNodes()).find((n) => n.id === ctx.move.toNodeId);
      await new InstancesRepository(deps.database.db).update(instance.id, {
        nodeId: ctx.move.toNodeId,
        nodeAddress: node?.address ?? null,
      });
      return;
    }
    const placed = (await ensureServerContainer(deps, instance)).instance;
    if (placed.nodeId !== ctx.move.toNodeId) throw new PermanentStepError(`Odoo started on ${placed.nodeId}, not on the new node`);
    const health = await waitForOdoo(deps, placed, { timeoutMs: deps.config.instanceHealthTimeoutSeconds * 1000 });
    if (!health.ok) throw new PermanentStepError(healthFailureText('Odoo did not start on the new node', health));
  },
  // The new copy is freed for the copy step's undoing.
  compensate: (ctx) => ctx.deps.runtime.stopContainer(names(ctx).container),
};

/** The edge routed to the instance's new node; shared by failover. */
export const routeToNewNode: Step<MoveContext> = {
  name: 'route',
  label: 'Routing to the new node',
  invoke: async (ctx) => {
    const refused = await applyInstanceRoute(ctx.deps, await current(ctx));
    if (refused) throw new PermanentStepError(refused.message);
  },
};

/**
 * Moving an instance with its data to another node (a drain): Odoo stops on the old node, its volume (the
 * filestore) is copied to the new one, Odoo starts there and is checked, the edge routes there, and only then is
 * the old copy removed. The database stays where it is (the platform's PostgreSQL). Undoing removes the new copy
 * and starts Odoo again on the old node. A stopped instance is moved the same way without being started: it
 * starts on the new node when its owner starts it.
 */
export const moveWorkflow: Workflow<MoveContext> = {
  kind: 'instance.move',
  version: 1,
  steps: [
    {
      name: 'stop',
      label: 'Stopping Odoo on the old node',
      invoke: (ctx) => ctx.deps.runtime.stopContainer(names(ctx).container),
      compensate: startWhereTheVolumeIs,
    },
    {
      name: 'copy',
      label: 'Copying its files to the new node',
      invoke: async (ctx) => {
        const instance = await current(ctx);
        const copied = await ctx.deps.runtime.moveVolume(names(ctx).volume, ctx.move.toNodeId, {
          image: instance.image,
          path: ODOO_DATA_DIR,
        });
        ctx.deps.log.info({ moveId: ctx.move.id, ...copied, skipped: copied.skipped.length }, 'volume copied to the new node');
      },
      // Only ever the new copy: the runtime refuses to remove the only one.
      compensate: async (ctx) => {
        if ((await ctx.deps.runtime.volumeNode(names(ctx).volume)) === ctx.move.toNodeId)
          await ctx.deps.runtime.removeVolumeCopy(names(ctx).volume, ctx.move.toNodeId);
      },
    },
    startOnNewNode,
    routeToNewNode,
    {
      name: 'cleanup',
      label: 'Removing the old copy',
      invoke: async (ctx) => {
        const { deps, move } = ctx;
        await deps.runtime.removeVolumeCopy(names(ctx).volume, move.fromNodeId);
        // The last instance off a node being drained: Swarm may now call it drained.
        const moves = new InstanceMovesRepository(deps.database.db);
        if (move.kind !== 'drain' || (await moves.instancesOn(move.fromNodeId)) > 0) return;
        if ((await moves.unfinishedFrom(move.fromNodeId)) > 1) return;
        const node = (await deps.runtime.listNodes()).find((n) => n.id === move.fromNodeId);
        if (node?.availability === 'pause') await deps.runtime.setNodeAvailability(move.fromNodeId, 'drain');
      },
    },
  ],
};
