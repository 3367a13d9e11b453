import { batches, type WorkflowOutcome } from '../jobs/workflow.js';
import { WorkflowRunner } from '../jobs/workflow-runner.js';
import { failoverWorkflow } from './failover.workflow.js';
import type { InstanceOpsDeps } from './instance-context.js';
import { publishInstanceUpdate } from './instance-events.js';
import { withInstanceLock } from './instance-locks.js';
import { type InstanceMoveRow, InstanceMovesRepository } from './instance-moves.repo.js';
import { InstancesRepository } from './instances.repo.js';
import { moveWorkflow } from './move.workflow.js';

/** What the instance's history says about a move. */
export function moveText(move: InstanceMoveRow, outcome?: WorkflowOutcome): string {
  if (move.kind === 'failover') return failoverText(move, outcome);
  const what = `moved from node ${move.fromNodeName} to ${move.toNodeName} (${move.kind}: ${move.reason})`;
  if (!outcome) return what;
  if (outcome.status === 'succeeded') return what;
  return `not ${what}; it stays on ${move.fromNodeName}: ${outcome.error.slice(0, 400)}`;
}

/** A failover in the instance's history: the loss, the backup its files came from and the files lost (RPO). */
export function failoverText(move: InstanceMoveRow, outcome?: WorkflowOutcome): string {
  const lost = `node ${move.fromNodeName} was lost${move.lostAt ? ` at ${move.lostAt.toISOString()}` : ''}`;
  if (move.status === 'blocked') return `not brought back after ${lost}: ${move.error ?? 'blocked'}`;
  const from = `its files from the backup of ${move.backupAt?.toISOString() ?? '?'} (files written in the ${move.rpoSeconds ?? '?'} s after it are lost; the database is kept)`;
  if (!outcome || outcome.status === 'succeeded') return `brought back on node ${move.toNodeName} after ${lost}, with ${from}`;
  return `not brought back on node ${move.toNodeName} after ${lost}: ${outcome.error.slice(0, 400)}`;
}

/**
 * The worker's side of a move: the move workflow under the instance's lock, so no other operation (start, stop,
 * restore, the reconciler) acts on the instance meanwhile. A crashed move resumes from its last finished step
 * when its job is taken back, or is undone.
 */
export class InstanceMoves {
  constructor(private readonly deps: InstanceOpsDeps) {}

  private get moves() {
    return new InstanceMovesRepository(this.deps.database.db);
  }

  private async changed(instanceId: string) {
    await publishInstanceUpdate(this.deps.redis, { id: instanceId }).catch(() => undefined);
  }

  async run(moveId: string): Promise<string> {
    const move = await this.moves.find(moveId);
    if (!move || (move.status !== 'queued' && move.status !== 'running')) return `skipped (${move?.status ?? 'gone'})`;
    const { pool, db } = this.deps.database;
    return withInstanceLock(pool, move.instanceId, async () => {
      const instances = new InstancesRepository(db);
      const instance = await instances.findById(move.instanceId);
      // Only settled instances move; a provisioning, deleting or failed one is left where it is.
      if (move.status === 'queued' && (!instance || !['running', 'stopped'].includes(instance.status))) {
        const why = `Nothing was moved: the instance is ${instance?.status ?? 'gone'}.`;
        await this.moves.update(move.id, { status: 'failed', error: why, finishedAt: new Date() });
        return `failed (${why})`;
      }
      await this.moves.update(move.id, { status: 'running' });
      // A lost node's instance comes back from its backup; a drained one moves with its data.
      const workflow = move.kind === 'failover' ? failoverWorkflow : moveWorkflow;
      const count = batches(workflow.steps).length;
      const outcome = await new WorkflowRunner(db, this.deps.log, { stepPauseMs: this.deps.config.workflowStepPauseMs }).run(
        workflow,
        move.id,
        { deps: this.deps, move },
        {
          onStep: async (index, step) => {
            await instances.setProgress(move.instanceId, {
              operation: 'move',
              step: step.label,
              stepIndex: index,
              stepCount: count,
              percent: Math.round((100 * index) / count),
            });
            await this.changed(move.instanceId);
          },
          onCompensating: async (error) => {
            await this.moves.update(move.id, { error });
            await instances.setProgress(move.instanceId, {
              operation: 'move',
              step: move.kind === 'failover' ? 'Failover failed' : 'Undoing: staying on the old server',
              stepIndex: 0,
              stepCount: 0,
              percent: 0,
            });
            await this.changed(move.instanceId);
          },
          finish: async (tx, result) => {
            const done = await new InstanceMovesRepository(tx).find(move.id);
            if (done?.finishedAt) return; // asked twice: recorded already
            await new InstanceMovesRepository(tx).update(move.id, {
              status: result.status === 'succeeded' ? 'succeeded' : 'failed',
              error: result.status === 'succeeded' ? null : result.error,
              finishedAt: new Date(),
            });
            const repo = new InstancesRepository(tx);
            await repo.setProgress(move.instanceId, null);
            // The instance's history: its status does not change, the event says where it went and why.
            const now = await repo.findById(move.instanceId);
            if (now) await repo.transition(now.id, [now.status], now.status, { actorId: move.requestedBy, reason: moveText(move, result) });
          },
        },
      );
      await this.changed(move.instanceId);
      return outcome.status === 'succeeded' ? `moved to ${move.toNodeName}` : `${outcome.status}: ${outcome.error}`;
    });
  }
}
