import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { ensureServerContainer } from '../instances/instance-context.js';
import { instanceNames } from '../instances/instance-names.js';
import { type InstanceRow, InstancesRepository } from '../instances/instances.repo.js';
import { instanceUrl } from '../instances/instances.service.js';
import { healthFailureText, waitForOdoo } from '../instances/odoo-health.js';
import { PermanentStepError, type Workflow } from '../jobs/workflow.js';
import type { BackupRunner } from './backup-runner.js';
import { instanceLogin } from './backup-runner.js';
import { type BackupRow, BackupsRepository, type RestoreRow } from './backups.repo.js';
import { extractBackup, loadDatabase, loadFilestore } from './restore-source.js';

export interface RestoreContext {
  deps: InstanceOpsDeps;
  backups: BackupRunner;
  restore: RestoreRow;
  instance: InstanceRow;
  source: BackupRow;
  /** This restore's scratch directory (the same on every attempt, so a resumed run finds the extraction). */
  workDir: string;
}

/** The instance's database as it was, kept under this name until the restored one has started. */
const previousDb = (db: string) => `${db}_pre`;

const names = ({ deps, instance }: RestoreContext) => instanceNames(deps.config.resourcePrefix, instance.id);

async function safetyBackup(ctx: RestoreContext): Promise<BackupRow> {
  const repo = new BackupsRepository(ctx.deps.database.db);
  const fresh = await repo.findRestore(ctx.restore.id);
  const existing = fresh?.safetyBackupId ? await repo.find(fresh.safetyBackupId) : undefined;
  if (existing?.status === 'completed') return existing;
  const backup = await ctx.backups.takeNow(ctx.instance, 'safety', ctx.restore.requestedBy);
  await repo.updateRestore(ctx.restore.id, { safetyBackupId: backup.id });
  return backup;
}

/** Puts the instance back as the safety backup holds it (filestore); the database comes back by rename. */
async function filestoreFromSafety(ctx: RestoreContext) {
  const repo = new BackupsRepository(ctx.deps.database.db);
  const fresh = await repo.findRestore(ctx.restore.id);
  const safety = fresh?.safetyBackupId ? await repo.find(fresh.safetyBackupId) : undefined;
  if (!safety) throw new Error('the safety backup is missing: the filestore cannot be put back');
  const dir = join(ctx.workDir, 'safety');
  const { root } = await extractBackup(ctx.deps, safety, dir, ctx.instance.version);
  await loadFilestore(ctx.deps, ctx.instance, root);
}

/** Odoo started again if its owner wants it running; `restart` makes a running one drop connections to a replaced database. */
async function startIfWanted({ deps, instance }: RestoreContext, restart = false) {
  const current = await new InstancesRepository(deps.database.db).findById(instance.id);
  if (current?.desiredState !== 'running' || current.suspended) return;
  const { info } = await ensureServerContainer(deps, current);
  if (restart && info.state === 'running') await deps.runtime.restartContainer(info.name);
}

/**
 * Restoring a backup into the instance it belongs to (its own backups and the zips uploaded to it; another
 * instance's data goes into a new instance instead, neutralised): a safety backup first, then the instance is stopped, its database set aside and the backup loaded, its
 * filestore replaced, and Odoo started again. A failure at any point puts back what was there: the database
 * by renaming it back, the filestore from the safety backup, and Odoo is started again.
 */
export const restoreWorkflow: Workflow<RestoreContext> = {
  kind: 'backup.restore',
  version: 1,
  steps: [
    { name: 'safety-backup', label: 'Backing up the instance as it is', invoke: (ctx) => safetyBackup(ctx).then(() => undefined) },
    {
      name: 'fetch',
      label: 'Fetching and checking the backup',
      invoke: async (ctx) => {
        await extractBackup(ctx.deps, ctx.source, join(ctx.workDir, 'source'), ctx.instance.version);
      },
    },
    {
      name: 'stop',
      label: 'Stopping Odoo',
      invoke: ({ deps, instance }) => deps.runtime.stopContainer(instanceNames(deps.config.resourcePrefix, instance.id).container),
      compensate: (ctx) => startIfWanted(ctx, true),
    },
    {
      name: 'set-aside',
      label: 'Setting the current database aside',
      invoke: async (ctx) => {
        const { db } = names(ctx);
        await ctx.deps.tenantDb.renameDatabase(db, previousDb(db));
      },
      compensate: async (ctx) => {
        const { db } = names(ctx);
        if (!(await ctx.deps.tenantDb.databaseExists(previousDb(db)))) return;
        await ctx.deps.tenantDb.dropDatabase(db);
        await ctx.deps.tenantDb.renameDatabase(previousDb(db), db);
      },
    },
    {
      name: 'database',
      label: 'Restoring the database',
      invoke: async (ctx) => {
        const { root } = await extractBackup(ctx.deps, ctx.source, join(ctx.workDir, 'source'), ctx.instance.version);
        await loadDatabase(ctx.deps, ctx.instance, root);
      },
      // set-aside's compensation drops what was loaded and renames the previous database back.
    },
    {
      name: 'filestore',
      label: 'Restoring the files',
      invoke: async (ctx) => {
        const { root } = await extractBackup(ctx.deps, ctx.source, join(ctx.workDir, 'source'), ctx.instance.version);
        await loadFilestore(ctx.deps, ctx.instance, root);
      },
      compensate: filestoreFromSafety,
    },
    {
      name: 'settings',
      label: 'Adjusting the address',
      invoke: async (ctx) => {
        const { deps, instance } = ctx;
        const as = instanceLogin(deps, instance);
        // The backup may come from another instance or another server: the address is this instance's.
        await deps.tenantDb.setOdooBaseUrl(names(ctx).db, as, instanceUrl(deps.config, instance.slug));
        const adminLogin = await deps.tenantDb.odooAdminLogin(names(ctx).db, as);
        if (adminLogin) await new InstancesRepository(deps.database.db).update(instance.id, { adminLogin });
      },
    },
    {
      name: 'start',
      label: 'Starting Odoo',
      invoke: async (ctx) => {
        await startIfWanted(ctx);
        const current = await new InstancesRepository(ctx.deps.database.db).findById(ctx.instance.id);
        if (current?.desiredState !== 'running' || current.suspended) return;
        const health = await waitForOdoo(ctx.deps, current, { timeoutMs: ctx.deps.config.instanceHealthTimeoutSeconds * 1000 });
        if (!health.ok) throw new PermanentStepError(healthFailureText('Odoo did not start on the restored backup', health));
      },
    },
    {
      name: 'cleanup',
      label: 'Cleaning up',
      invoke: async (ctx) => {
        await ctx.deps.tenantDb.dropDatabase(previousDb(names(ctx).db));
        await rm(ctx.workDir, { recursive: true, force: true });
      },
    },
  ],
};
