import type { InstanceAction } from '../jobs/queues.js';
import { batches, type WorkflowOutcome } from '../jobs/workflow.js';
import { WorkflowRunner } from '../jobs/workflow-runner.js';
import { recordProvisioning } from '../monitoring/provisioning-metrics.js';
import { deleteWorkflow } from './delete.workflow.js';
import { ensureServerContainer, type InstanceOpsDeps, ODOO_WORKERS_LABEL, routeState, wantsRunning } from './instance-context.js';
import { applyInstanceRoute, edgeErrorText } from './instance-edge.js';
import { publishInstanceUpdate } from './instance-events.js';
import { withInstanceLock } from './instance-locks.js';
import { instanceNames } from './instance-names.js';
import { type InstanceRow, InstancesRepository } from './instances.repo.js';
import { healthFailureText, waitForOdoo } from './odoo-health.js';
import { provisionContext, provisionWorkflow } from './provision.workflow.js';

const DELETION_CHECK_MS = 500;

/**
 * The worker's side of instance operations. Every action takes the instance's lock, re-reads the
 * instance and acts on what the database says now — so a job that is repeated, late, or resumed
 * after a crash does the right thing.
 */
export class InstanceOperations {
  readonly beforeDelete: ((instance: InstanceRow) => Promise<void>)[] = [];

  constructor(private readonly deps: InstanceOpsDeps) {}

  private get repo() {
    return new InstancesRepository(this.deps.database.db);
  }

  private async changed(instance: InstanceRow | null | undefined) {
    if (instance) await publishInstanceUpdate(this.deps.redis, instance).catch(() => undefined);
    return instance;
  }

  async run(action: InstanceAction, instanceId: string, actorId: string | null): Promise<string> {
    return withInstanceLock(this.deps.database.pool, instanceId, async () => {
      const instance = await this.repo.findById(instanceId);
      if (!instance || instance.status === 'deleted') return 'gone';
      switch (action) {
        case 'provision':
          return this.provision(instance, actorId);
        case 'delete':
          return this.delete(instance, actorId);
        case 'converge':
          return this.converge(instance, actorId);
        case 'restart':
          return this.restart(instance, actorId);
        case 'update-limits':
          return this.updateLimits(instance);
      }
    });
  }

  private async provision(instance: InstanceRow, actorId: string | null): Promise<string> {
    if (instance.status !== 'pending' && instance.status !== 'provisioning') return `skipped (${instance.status})`;
    const started =
      instance.status === 'pending'
        ? await this.repo.transition(instance.id, ['pending'], 'provisioning', { actorId, reason: 'provisioning started' })
        : instance;
    await this.changed(started);
    // A deletion requested meanwhile stops the run within a moment, so the deletion need not wait for it.
    const deletion = this.watchForDeletion(instance.id);
    const outcome = await this.runner()
      .run(provisionWorkflow, instance.id, provisionContext(this.deps, started ?? instance, deletion.signal), {
        signal: deletion.signal,
        onStep: (index, step, count) => this.progress(instance.id, 'provision', index, step.label, count),
        onCompensating: async (error) => {
          await this.repo.update(instance.id, { lastError: error });
          await this.repo.setProgress(instance.id, { operation: 'rollback', step: 'Cleaning up', stepIndex: 0, stepCount: 0, percent: 0 });
          await this.changed(await this.repo.findById(instance.id));
        },
        // The instance's status commits with the run's: a crash cannot leave a finished run under a "provisioning" instance.
        finish: (tx, outcome) => finishProvisioning(new InstancesRepository(tx), instance.id, actorId, outcome),
      })
      .finally(deletion.stop);
    const after = await this.changed(await this.repo.findById(instance.id));
    if (outcome.status !== 'cancelled') recordProvisioning(outcome.status === 'succeeded' ? 'success' : 'failure', after ?? undefined);
    if (outcome.status === 'cancelled') return 'cancelled (the instance is being deleted)';
    // The tenant was suspended while this instance was being made: it stops at once, like its others.
    if (outcome.status === 'succeeded') return after?.suspended ? `running, then ${await this.converge(after, null)}` : 'running';
    // The subdomain shows a "failed" page rather than an unknown-host 404.
    if (after?.status === 'failed') {
      const refused = await applyInstanceRoute(this.deps, after).catch((err: Error) => err);
      if (refused) {
        await this.repo.update(instance.id, { lastError: `${outcome.error}\n${edgeErrorText(refused)}` });
        await this.changed(await this.repo.findById(instance.id));
      }
    }
    return 'failed';
  }

  private runner() {
    return new WorkflowRunner(this.deps.database.db, this.deps.log, { stepPauseMs: this.deps.config.workflowStepPauseMs });
  }

  private async progress(instanceId: string, operation: string, index: number, step: string, count: number) {
    await this.repo.setProgress(instanceId, {
      operation,
      step,
      stepIndex: index,
      stepCount: count,
      percent: Math.round((index / count) * 100),
    });
    await this.changed(await this.repo.findById(instanceId));
  }

  /** Aborts its signal once the instance is marked for deletion (checked twice a second) until stopped. */
  private watchForDeletion(instanceId: string) {
    const controller = new AbortController();
    const timer = setInterval(() => {
      this.repo
        .findById(instanceId)
        .then((row) => {
          if (row?.status === 'deleting' || row?.status === 'deleted') controller.abort(new Error('the instance is being deleted'));
        })
        .catch(() => undefined); // a database blip: check again at the next tick
    }, DELETION_CHECK_MS);
    return { signal: controller.signal, stop: () => clearInterval(timer) };
  }

  private async delete(instance: InstanceRow, actorId: string | null): Promise<string> {
    if (instance.status !== 'deleting') return `skipped (${instance.status})`;
    // The deletion run supersedes a provisioning run interrupted for good (the engine cancels it), then removes whatever it made.
    const outcome = await this.runner().run(
      deleteWorkflow,
      instance.id,
      { deps: this.deps, instance, beforeDelete: this.beforeDelete },
      {
        onStep: (index, step, count) => this.progress(instance.id, 'delete', index, step.label, count),
        finish: (tx, outcome) => finishDeletion(new InstancesRepository(tx), instance.id, actorId, outcome),
      },
    );
    await this.changed(await this.repo.findById(instance.id));
    return outcome.status === 'succeeded' ? 'deleted' : 'failed';
  }

  /**
   * Brings the engine to the desired state of a settled instance (start or stop). A suspended tenant's
   * instance is stopped whatever its owner asked, and its address serves the suspended page; once resumed
   * it goes back to what the owner wanted (running, or the stopped page).
   */
  private async converge(instance: InstanceRow, actorId: string | null): Promise<string> {
    const { runtime, config } = this.deps;
    const { container } = instanceNames(this.deps.config.resourcePrefix, instance.id);
    const suspended = instance.suspended;
    if (!wantsRunning(instance) && instance.status === 'running') {
      // A refused route is recorded on the instance (the edge keeps its last good config); stopping goes on.
      const refused = await applyInstanceRoute(this.deps, instance, suspended ? 'suspended' : 'stopped');
      await runtime.stopContainer(container);
      const reason = suspended ? 'suspended with its tenant' : 'stopped';
      await this.changed(
        await this.repo.transition(instance.id, ['running'], 'stopped', { actorId, reason }, refused ? {} : { lastError: null }),
      );
      return suspended ? 'suspended' : 'stopped';
    }
    if (wantsRunning(instance) && instance.status === 'stopped') {
      const placed = (await ensureServerContainer(this.deps, instance)).instance;
      const health = await waitForOdoo(this.deps, placed, { timeoutMs: config.instanceHealthTimeoutSeconds * 1000 });
      if (!health.ok) throw new Error(healthFailureText('Odoo did not come back', health));
      const refused = await applyInstanceRoute(this.deps, placed, 'active');
      await this.changed(
        await this.repo.transition(instance.id, ['stopped'], 'running', { actorId, reason: 'started' }, refused ? {} : { lastError: null }),
      );
      return 'running';
    }
    if (instance.status === 'stopped' || instance.status === 'failed') {
      // Nothing to start or stop, but a suspension or resumption changes the page its address serves.
      await applyInstanceRoute(this.deps, instance);
      await this.changed(instance);
      return `route ${routeState(instance)}`;
    }
    return 'unchanged';
  }

  private async restart(instance: InstanceRow, actorId: string | null): Promise<string> {
    if (instance.status !== 'running') return `skipped (${instance.status})`;
    if (instance.suspended) return 'skipped (suspended)';
    const { runtime, config } = this.deps;
    // Recreates the container when its spec changed (e.g. new limits), else restarts it in place.
    const before = await runtime.inspectContainer(instanceNames(this.deps.config.resourcePrefix, instance.id).container);
    const { info: after, instance: placed } = await ensureServerContainer(this.deps, instance);
    if (before && after.id === before.id)
      await runtime.restartContainer(instanceNames(this.deps.config.resourcePrefix, instance.id).container);
    const health = await waitForOdoo(this.deps, placed, { timeoutMs: config.instanceHealthTimeoutSeconds * 1000 });
    if (!health.ok) throw new Error(healthFailureText('Odoo did not come back after the restart', health));
    // A new worker count moves the websocket between ports: the route follows the container.
    await applyInstanceRoute(this.deps, placed, 'active');
    await this.repo.transition(instance.id, ['running'], 'running', { actorId, reason: 'restarted' });
    return 'restarted';
  }

  /**
   * Applies plan limits live (memory, CPU, pids). Odoo's worker count is in its config file, so a running
   * instance whose count changed is restarted, announced first (an event and the progress the tenant's app
   * shows). A stopped instance gets the new config when it next starts.
   */
  private async updateLimits(instance: InstanceRow): Promise<string> {
    if (instance.status !== 'running' && instance.status !== 'stopped') return `skipped (${instance.status})`;
    const { limits } = instance;
    const name = instanceNames(this.deps.config.resourcePrefix, instance.id).container;
    await this.deps.runtime.updateLimits(name, { memoryMb: limits.memoryMb, cpuMillis: limits.cpuMillis, pids: limits.pids });
    if (instance.status !== 'running' || !wantsRunning(instance)) return 'updated';
    // Containers made before the label existed keep their workers until their next restart, as before.
    const running = (await this.deps.runtime.inspectContainer(name))?.labels[ODOO_WORKERS_LABEL];
    if (running === undefined || running === String(limits.workers)) return 'updated';
    const step = 'Restarting to apply the new plan';
    await this.repo.transition(instance.id, ['running'], 'running', {
      actorId: null,
      reason: `restarting to apply the new plan (Odoo workers ${running} → ${limits.workers})`,
    });
    await this.repo.setProgress(instance.id, { operation: 'restart', step, stepIndex: 0, stepCount: 1, percent: 0 });
    await this.changed(await this.repo.findById(instance.id));
    try {
      await this.restart(instance, null);
    } finally {
      await this.repo.setProgress(instance.id, null);
      await this.changed(await this.repo.findById(instance.id));
    }
    return 'updated and restarted';
  }
}

/** The instance's side of a provisioning run's end; idempotent (each move applies only from "provisioning"). */
async function finishProvisioning(repo: InstancesRepository, id: string, actorId: string | null, outcome: WorkflowOutcome) {
  if (outcome.status === 'cancelled') return; // the deletion that superseded the run owns the instance now
  if (outcome.status === 'succeeded') {
    const count = batches(provisionWorkflow.steps).length;
    await repo.transition(
      id,
      ['provisioning'],
      'running',
      { actorId, reason: 'provisioned' },
      {
        readyAt: new Date(),
        lastError: null,
        progress: { operation: 'provision', step: 'Ready', stepIndex: count, stepCount: count, percent: 100 },
      },
    );
    return;
  }
  const what =
    outcome.status === 'failed' ? 'provisioning failed and could not be fully rolled back' : 'provisioning failed and was rolled back';
  await repo.transition(
    id,
    ['provisioning'],
    'failed',
    { actorId: null, reason: `${what}: ${outcome.error.slice(0, 500)}` },
    { lastError: outcome.error, progress: null },
  );
}

/** The instance's side of a deletion run's end; idempotent (each move applies only from "deleting"). */
async function finishDeletion(repo: InstancesRepository, id: string, actorId: string | null, outcome: WorkflowOutcome) {
  if (outcome.status === 'cancelled') return; // nothing supersedes a deletion today; if something did, it would own the instance
  if (outcome.status === 'succeeded') {
    await repo.transition(
      id,
      ['deleting'],
      'deleted',
      { actorId, reason: 'deleted' },
      { deletedAt: new Date(), progress: null, pendingAdminPassword: null },
    );
    return;
  }
  await repo.transition(
    id,
    ['deleting'],
    'failed',
    { actorId: null, reason: `deletion failed: ${outcome.error.slice(0, 500)}` },
    { lastError: outcome.error },
  );
}
