import { join } from 'node:path';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { publishInstanceUpdate } from '../instances/instance-events.js';
import { withBackupLock, withInstanceLock } from '../instances/instance-locks.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import { batches, type WorkflowOutcome } from '../jobs/workflow.js';
import { WorkflowRunner } from '../jobs/workflow-runner.js';
import { BackupRunner } from './backup-runner.js';
import { BackupsRepository } from './backups.repo.js';
import { restoreWorkflow } from './restore.workflow.js';

/** The worker's side of a restore into an existing instance: the restore workflow under the instance's locks. */
export class RestoreRunner {
  private readonly backups: BackupRunner;

  constructor(private readonly deps: InstanceOpsDeps) {
    this.backups = new BackupRunner(deps);
  }

  private get repo() {
    return new BackupsRepository(this.deps.database.db);
  }

  private async changed(instanceId: string) {
    await publishInstanceUpdate(this.deps.redis, { id: instanceId }).catch(() => undefined);
  }

  /**
   * Runs (or resumes, after a crash) one restore. Nothing else acts on the instance meanwhile: the instance
   * lock keeps the reconciler and start/stop/delete away, the backup lock keeps scheduled backups away.
   * Throws on a transient failure while attempts remain (the queue retries; the workflow resumes).
   */
  async run(restoreId: string): Promise<string> {
    const restore = await this.repo.findRestore(restoreId);
    if (!restore || (restore.status !== 'queued' && restore.status !== 'running')) return `skipped (${restore?.status ?? 'gone'})`;
    const { pool, db } = this.deps.database;
    return withInstanceLock(pool, restore.instanceId, () =>
      withBackupLock(pool, restore.instanceId, async () => {
        const instances = new InstancesRepository(db);
        const instance = await instances.findById(restore.instanceId);
        const source = await this.repo.find(restore.backupId);
        if (!instance || instance.status === 'deleted' || instance.status === 'deleting' || !source || source.status !== 'completed') {
          const why = source?.status !== 'completed' ? 'the backup is no longer available' : 'the instance is being deleted';
          await this.repo.updateRestore(restoreId, { status: 'failed', error: `Nothing was restored: ${why}.`, finishedAt: new Date() });
          await this.changed(restore.instanceId);
          return `failed (${why})`;
        }
        await this.repo.updateRestore(restoreId, { status: 'running' });
        const ctx = {
          deps: this.deps,
          backups: this.backups,
          restore,
          instance,
          source,
          workDir: join(this.deps.config.backups.workDir, `restore-${restore.id}`),
        };
        const count = batches(restoreWorkflow.steps).length;
        const outcome = await new WorkflowRunner(db, this.deps.log, { stepPauseMs: this.deps.config.workflowStepPauseMs }).run(
          restoreWorkflow,
          restore.id,
          ctx,
          {
            onStep: async (index, step) => {
              const progress = { step: step.label, percent: Math.round((100 * index) / count) };
              await this.repo.updateRestore(restoreId, { progress });
              await instances.setProgress(instance.id, {
                operation: 'restore',
                step: step.label,
                stepIndex: index,
                stepCount: count,
                percent: progress.percent,
              });
              await this.changed(instance.id);
            },
            onCompensating: async (error) => {
              await this.repo.updateRestore(restoreId, { progress: { step: 'Putting the instance back as it was', percent: 0 }, error });
              await this.changed(instance.id);
            },
            finish: async (tx, result: WorkflowOutcome) => {
              const error = result.status === 'succeeded' ? null : result.error;
              await new BackupsRepository(tx).updateRestore(restoreId, {
                status: result.status === 'succeeded' ? 'succeeded' : 'failed',
                error,
                progress: null,
                finishedAt: new Date(),
              });
              await new InstancesRepository(tx).setProgress(instance.id, null);
            },
          },
        );
        await this.changed(instance.id);
        return outcome.status === 'succeeded' ? 'restored' : `${outcome.status}: ${outcome.error}`;
      }),
    );
  }
}
