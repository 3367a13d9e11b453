import { decrypt, secretContext } from '../auth/secrets.js';
import { prepareFromBackup } from '../backups/duplicate.js';
import { PermanentStepError, type Workflow, WorkflowCancelled } from '../jobs/workflow.js';
import { RuntimeError } from '../runtime/instance-runtime.js';
import { ensureServerContainer, type InstanceOpsDeps, instanceLabels, networkSpecFor, serverSpecFor } from './instance-context.js';
import { edgeErrorText, isEdgeRefusal, routeFor } from './instance-edge.js';
import { withTemplateLock } from './instance-locks.js';
import { instanceNames, templateNames } from './instance-names.js';
import { type InstanceRow, InstancesRepository, OdooVersionsRepository } from './instances.repo.js';
import { instanceUrl, ODOO_ADMIN_LOGIN } from './instances.service.js';
import { ODOO_DATA_DIR } from './odoo-config.js';
import { odooInitSpec } from './odoo-container.js';
import { healthFailureText, waitForOdoo } from './odoo-health.js';
import { odooPasswordHash } from './odoo-password.js';

export interface ProvisionContext {
  deps: InstanceOpsDeps;
  instance: InstanceRow;
  /** Aborted when the instance is deleted while it is being provisioned. */
  signal?: AbortSignal;
  /** The admin password's hash (600,000 pbkdf2 rounds), computed while the first steps run; absent once revealed. */
  adminPasswordHash: Promise<string> | undefined;
}

/**
 * The context of one provisioning run. The two slow password hashes start at once, in the background, so
 * they are done by the time the database and container steps need them.
 */
export function provisionContext(deps: InstanceOpsDeps, instance: InstanceRow, signal?: AbortSignal): ProvisionContext {
  const pending = instance.pendingAdminPassword;
  const adminPasswordHash = pending
    ? odooPasswordHash(decrypt(deps.config.encryptionKey, pending, secretContext.instanceAdminPassword(instance.id)))
    : undefined;
  adminPasswordHash?.catch(() => undefined); // awaited, and reported, by the database step
  void serverSpecFor(deps, instance).catch(() => undefined); // caches the master password's hash
  return { deps, instance, signal, adminPasswordHash };
}

const INIT_TIMEOUT_MS = 15 * 60_000;

/** Waits for every promise to settle (none is left running), then throws the first failure. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function prepareOdooDatabase(ctx: ProvisionContext) {
  // A duplicate (or staging copy) starts from a backup instead of a fresh Odoo.
  if (ctx.instance.sourceBackupId) return prepareFromBackup(ctx, ctx.instance.sourceBackupId);
  const { deps, instance, signal, adminPasswordHash } = ctx;
  const { config, tenantDb, runtime } = deps;
  const names = instanceNames(deps.config.resourcePrefix, instance.id);
  const key = config.encryptionKey;
  // Anything here from an interrupted earlier attempt is incomplete: start over.
  await tenantDb.dropDatabase(names.db);

  const template = config.provisionFromTemplate ? await new OdooVersionsRepository(deps.database.db).template(instance.version) : undefined;
  const tpl = templateNames(config.resourcePrefix, instance.version);
  // A template marked ready whose database is gone (dropped by hand, a restored server) is not used.
  const useTemplate = template?.status === 'ready' && template.image === instance.image && (await tenantDb.databaseExists(tpl.db));
  const repo = new InstancesRepository(deps.database.db);

  if (useTemplate) {
    // Database and filestore are copied under the template's lock, so a rebuild cannot swap them mid-copy.
    // The two copies are independent (PostgreSQL, the engine): made at the same time.
    await withTemplateLock(deps.database.pool, instance.version, () =>
      settleAll([
        tenantDb.cloneDatabase(tpl.db, names.db, names.role),
        runtime
          .copyBetweenVolumes(
            { volume: tpl.volume, path: `filestore/${tpl.db}` },
            { volume: names.volume, path: `filestore/${names.db}` },
            instance.image,
          )
          .catch((err) => {
            // A template without attachments has no filestore folder: nothing to copy.
            if (!(err instanceof RuntimeError && err.details.statusCode === 404)) throw err;
          }),
      ]),
    );
    // A clone's tables keep the template's owner; Odoo writes on every login, so they must be the instance's.
    await tenantDb.transferObjects(names.db, tpl.role, names.role);
  } else {
    await tenantDb.ensureDatabase(names.db, names.role);
    const result = await runtime.runOneOff(
      odooInitSpec(config, {
        names,
        image: instance.image,
        version: instance.version,
        limits: instance.limits,
        dbPassword: decrypt(key, instance.dbPassword, secretContext.instanceDbPassword(instance.id)),
        masterPasswordHash: '',
        labels: instanceLabels(config, instance),
      }),
      INIT_TIMEOUT_MS,
      signal,
    );
    if (result.exitCode !== 0) {
      throw new PermanentStepError(`Odoo could not initialize its database (exit ${result.exitCode}): ${result.output.slice(-2000)}`);
    }
  }
  await repo.update(instance.id, { provisionPath: useTemplate ? 'template' : 'fresh' });
  if (!adminPasswordHash) throw new PermanentStepError('the initial admin password is missing');
  const as = { role: names.role, password: decrypt(key, instance.dbPassword, secretContext.instanceDbPassword(instance.id)) };
  await tenantDb.personalizeOdooDatabase(names.db, as, {
    baseUrl: instanceUrl(config, instance.slug),
    adminLogin: ODOO_ADMIN_LOGIN,
    adminPasswordHash: await adminPasswordHash,
  });
}

/**
 * Provisioning an Odoo instance: each step idempotent, each undone by its compensation.
 * The order of compensation (reverse) matters: the database goes before its role.
 */
export const provisionWorkflow: Workflow<ProvisionContext> = {
  kind: 'instance.provision',
  version: 1,
  // An operator's retry of a failed instance (InstancesService.retryProvisioning) runs it again; a job
  // repeated after the failure finds the instance failed and skips, so nothing else starts over.
  startOverAfterFailure: true,
  steps: [
    {
      name: 'image',
      label: 'Fetching Odoo',
      invoke: async ({ deps, instance }) => {
        await deps.runtime.ensureImage(instance.image, { pull: deps.config.imagePull });
      },
    },
    {
      name: 'storage',
      label: 'Creating storage',
      // The volume and the database role are independent: made at the same time.
      group: 'storage-and-role',
      invoke: async ({ deps, instance }) => {
        const { volume } = instanceNames(deps.config.resourcePrefix, instance.id);
        // Not done yet, so whatever is there is unfinished: start from a fresh volume that Odoo's user owns.
        await deps.runtime.removeVolume(volume);
        await deps.runtime.ensureVolume(volume, instanceLabels(deps.config, instance), { image: instance.image, path: ODOO_DATA_DIR });
      },
      compensate: ({ deps, instance }) => deps.runtime.removeVolume(instanceNames(deps.config.resourcePrefix, instance.id).volume),
    },
    {
      name: 'database-role',
      label: 'Creating the database role',
      group: 'storage-and-role',
      invoke: ({ deps, instance }) =>
        deps.tenantDb.ensureRole(
          instanceNames(deps.config.resourcePrefix, instance.id).role,
          decrypt(deps.config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id)),
        ),
      compensate: ({ deps, instance }) => deps.tenantDb.dropRole(instanceNames(deps.config.resourcePrefix, instance.id).role),
    },
    {
      name: 'odoo-database',
      label: 'Preparing the Odoo database',
      invoke: prepareOdooDatabase,
      // The private network is made meanwhile: only the container needs it.
      group: 'database-and-network',
      compensate: ({ deps, instance }) => deps.tenantDb.dropDatabase(instanceNames(deps.config.resourcePrefix, instance.id).db),
    },
    {
      name: 'network',
      label: 'Creating the private network',
      group: 'database-and-network',
      invoke: ({ deps, instance }) => deps.runtime.ensureNetwork(networkSpecFor(deps.config, instance)),
      compensate: ({ deps, instance }) => deps.runtime.removeNetwork(instanceNames(deps.config.resourcePrefix, instance.id).network),
    },
    {
      name: 'container',
      label: 'Starting Odoo',
      // The steps after it reach Odoo where it runs (a swarm node's address): the context carries the row as recorded.
      invoke: async (ctx) => {
        ctx.instance = (await ensureServerContainer(ctx.deps, ctx.instance)).instance;
      },
      compensate: ({ deps, instance }) => deps.runtime.removeContainer(instanceNames(deps.config.resourcePrefix, instance.id).container),
    },
    {
      name: 'route',
      // Published while Odoo starts (nginx reloads in the meantime); until Odoo answers, the edge shows its own page.
      label: 'Publishing the address',
      invoke: async ({ deps, instance }) => {
        try {
          await deps.edge.applyRoute(await routeFor(deps, instance, 'active'));
        } catch (error) {
          // Retrying cannot make nginx accept the same route: compensate now, with nginx's own words.
          if (isEdgeRefusal(error)) throw new PermanentStepError(edgeErrorText(error), { cause: error });
          throw error;
        }
      },
      compensate: async ({ deps, instance }) => {
        await deps.edge.removeRoute(instance.id);
      },
    },
    {
      name: 'health',
      label: 'Waiting for Odoo to answer',
      invoke: async ({ deps, instance, signal }) => {
        const health = await waitForOdoo(deps, instance, { timeoutMs: deps.config.instanceHealthTimeoutSeconds * 1000, signal });
        if (health.ok) return;
        if (signal?.aborted) throw new WorkflowCancelled('the instance is being deleted');
        throw new PermanentStepError(healthFailureText('Odoo did not become healthy', health));
      },
    },
  ],
};
