import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { decrypt, encrypt, secretContext } from '../auth/secrets.js';
import { BackupsRepository } from '../backups/backups.repo.js';
import { currentAccess } from '../billing/enforcement.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { conflict, fieldInvalid, forbidden, gone, notFound, paymentRequired, unavailable } from '../errors/domain-error.js';
import type { Queues } from '../jobs/queues.js';
import { type InstanceRuntime, RuntimeError } from '../runtime/instance-runtime.js';
import type { TenantDbServer } from '../tenant-db/tenant-db-server.js';
import { enqueueInstanceJob, requeueInstanceJob } from './instance-jobs.js';
import { instanceNames, slotCapacity } from './instance-names.js';
import { measureStorage } from './instance-storage.js';
import { type InstanceRow, InstancesRepository, OdooVersionsRepository } from './instances.repo.js';
import { slugProblem } from './instances.schemas.js';
import { odooPasswordHash } from './odoo-password.js';

export const ODOO_ADMIN_LOGIN = 'admin';

const randomSecret = (bytes = 24) => randomBytes(bytes).toString('base64url');

/**
 * The host an instance answers at, `<slug>.<instance domain>`: its edge server_name, Odoo's base URL and
 * the URL shown to the tenant all come from here.
 */
export function instanceHost(config: Pick<Config, 'instanceDomain'>, slug: string): string {
  return `${slug}.${config.instanceDomain}`;
}

export function instanceUrl(config: Pick<Config, 'instanceDomain' | 'publicUrl'>, slug: string): string {
  // One edge serves the platform and the instances, so the scheme and port are the public URL's.
  const base = new URL(config.publicUrl);
  return `${base.protocol}//${instanceHost(config, slug)}${base.port ? `:${base.port}` : ''}`;
}

/** The platform operator's suspension is not about payment: paying would not lift it, so the message says whose it is. */
const tenantSuspended = (byOperator: boolean) =>
  paymentRequired(
    'tenant_suspended',
    byOperator
      ? 'Your instances are suspended by the platform operator. Contact support to have them resumed.'
      : 'Your instances are suspended because the subscription is not paid. Pay on the billing page to resume them.',
  );

export class InstancesService {
  constructor(
    private readonly deps: {
      db: Db;
      config: Config;
      queues: Queues;
      runtime: InstanceRuntime;
      tenantDb: TenantDbServer;
    },
  ) {}

  private get repo() {
    return new InstancesRepository(this.deps.db);
  }

  async get(id: string): Promise<InstanceRow> {
    const instance = await this.repo.findById(id);
    if (!instance || instance.status === 'deleted') throw notFound('Instance');
    return instance;
  }

  /** The instance as it is now, deleted ones included (live updates report the deletion); null when unknown. */
  async find(id: string): Promise<InstanceRow | null> {
    return (await this.repo.findById(id)) ?? null;
  }

  /** The tenant that owns an instance, for access checks. */
  tenantOf(id: string) {
    return this.repo.tenantOf(id);
  }

  list(tenantId: string) {
    return this.repo.listForTenant(tenantId);
  }

  async slugAvailability(slug: string) {
    const problem = slugProblem(slug);
    if (problem) return { slug, available: false, code: problem.code, message: problem.message };
    if (await this.repo.slugTaken(slug)) return { slug, available: false, code: 'slug_taken', message: 'This name is already taken.' };
    return { slug, available: true, code: null, message: null };
  }

  async create(
    tenantId: string,
    actor: AuthenticatedUser,
    input: { name: string; slug: string; version?: string | undefined; fromBackupId?: string | undefined },
  ) {
    if (!actor.emailVerified) throw forbidden('email_not_verified', 'Confirm your email address before creating an instance.');
    const problem = slugProblem(input.slug);
    if (problem) throw fieldInvalid('slug', problem.code, problem.message);
    const source = input.fromBackupId ? await this.sourceBackup(tenantId, input.fromBackupId, input.version) : undefined;

    const versions = new OdooVersionsRepository(this.deps.db);
    const wanted = source?.odooVersion ?? input.version;
    const version = wanted ? await versions.find(wanted) : await versions.findDefault();
    if (!version?.enabled) {
      throw fieldInvalid(
        'version',
        'unknown_version',
        input.version ? `Odoo ${input.version} is not offered.` : 'No Odoo version is available.',
      );
    }
    const plan = await this.repo.planOf(tenantId);
    if (!plan) throw notFound('Tenant');
    if (plan.odooVersions && !plan.odooVersions.includes(version.version)) {
      throw fieldInvalid('version', 'version_not_in_plan', `Your plan does not include Odoo ${version.version}.`);
    }
    await this.refuseUnpaidCreation(tenantId);

    const capacity = slotCapacity(this.deps.config.instanceSubnetPool);
    // Quota, slug and slot are checked under one tenant-wide lock so two parallel requests cannot both pass.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const instance = await this.deps.db.transaction(async (tx) => {
          const repo = new InstancesRepository(tx);
          await lockForTransaction(tx, `tenant-instances:${tenantId}`);
          if ((await repo.countLive(tenantId)) >= plan.maxInstances) {
            throw forbidden('quota_exceeded', `Your plan allows ${plan.maxInstances} instance(s). Delete one or upgrade your plan.`);
          }
          if (await repo.slugTaken(input.slug)) throw conflict('slug_taken', 'This name is already taken.');
          const slot = await repo.freeSlot(capacity);
          if (slot === null) throw unavailable('capacity_exhausted', 'The platform has no room for another instance right now.');
          // The id is chosen here because each secret is sealed bound to its row.
          const id = randomUUID();
          const key = this.deps.config.encryptionKey;
          const created = await repo.insert({
            id,
            tenantId,
            name: input.name,
            slug: input.slug,
            version: version.version,
            image: version.image,
            status: 'pending',
            desiredState: 'running',
            limits: {
              memoryMb: plan.memoryMb,
              cpuMillis: plan.cpuMillis,
              pids: plan.pids,
              storageGb: plan.storageGb,
              workers: plan.workers,
            },
            slot,
            dbPassword: encrypt(key, randomSecret(), secretContext.instanceDbPassword(id)),
            masterPassword: encrypt(key, randomSecret(), secretContext.instanceMasterPassword(id)),
            pendingAdminPassword: encrypt(key, randomSecret(12), secretContext.instanceAdminPassword(id)),
            progress: { operation: 'provision', step: null, stepIndex: 0, stepCount: 0, percent: 0 },
            createdBy: actor.userId,
            sourceBackupId: source?.id ?? null,
          });
          await repo.transition(created.id, ['pending'], 'pending', { actorId: actor.userId, reason: 'requested' });
          return created;
        });
        await enqueueInstanceJob(this.deps.queues, instance.id, 'provision', actor.userId);
        return instance;
      } catch (err) {
        // A concurrent insert won the slug or slot between our check and insert: the unique index decides.
        if (isUniqueViolation(err, 'instances_slug_live_key')) throw conflict('slug_taken', 'This name is already taken.');
        if (isUniqueViolation(err, 'instances_slot_live_key')) continue;
        throw err;
      }
    }
    throw unavailable('capacity_exhausted', 'Could not allocate resources for the instance; try again.');
  }

  /** A completed backup of this tenant to start a new instance from, on its own Odoo version. */
  private async sourceBackup(tenantId: string, backupId: string, version: string | undefined) {
    const backup = await new BackupsRepository(this.deps.db).find(backupId);
    if (!backup || backup.tenantId !== tenantId || backup.status !== 'completed') {
      throw fieldInvalid('fromBackupId', 'backup_not_found', 'No completed backup with this id belongs to this organization.');
    }
    if (version && version !== backup.odooVersion) {
      throw fieldInvalid(
        'version',
        'backup_version_mismatch',
        `This backup is of Odoo ${backup.odooVersion}; a copy runs the same version.`,
      );
    }
    return backup;
  }

  /** New instances need a subscription in good standing (billing/entitlements.ts). */
  private async refuseUnpaidCreation(tenantId: string) {
    const access = await currentAccess(this.deps.db, this.deps.config, tenantId);
    if (!access) return;
    if (access.recorded === 'suspended' || access.decision.access === 'suspended') throw tenantSuspended(access.operatorSuspended);
    if (!access.decision.mayCreateInstances) {
      throw paymentRequired('subscription_required', 'Choose a plan and subscribe on the billing page to create instances.');
    }
  }

  private async suspendedRefusal(tenantId: string) {
    const access = await currentAccess(this.deps.db, this.deps.config, tenantId);
    return tenantSuspended(access?.operatorSuspended ?? false);
  }

  async setDesiredState(id: string, actor: AuthenticatedUser, desired: 'running' | 'stopped') {
    const instance = await this.get(id);
    if (desired === 'running' && instance.suspended) throw await this.suspendedRefusal(instance.tenantId);
    if (instance.status !== 'running' && instance.status !== 'stopped') {
      throw conflict('invalid_state', `The instance is ${instance.status}; try again when it is running or stopped.`);
    }
    const updated = await this.repo.update(id, { desiredState: desired });
    await enqueueInstanceJob(this.deps.queues, id, 'converge', actor.userId);
    return updated ?? instance;
  }

  async restart(id: string, actor: AuthenticatedUser) {
    const instance = await this.get(id);
    if (instance.suspended) throw await this.suspendedRefusal(instance.tenantId);
    if (instance.status !== 'running')
      throw conflict('invalid_state', `Only a running instance can be restarted (it is ${instance.status}).`);
    await enqueueInstanceJob(this.deps.queues, id, 'restart', actor.userId);
    return instance;
  }

  async delete(id: string, actor: AuthenticatedUser) {
    const instance = await this.get(id);
    if (instance.status === 'deleting') return instance;
    const moved = await this.repo.transition(
      id,
      ['pending', 'provisioning', 'running', 'stopped', 'failed'],
      'deleting',
      { actorId: actor.userId, reason: 'deletion requested' },
      { desiredState: 'deleted' },
    );
    if (!moved) throw conflict('invalid_state', 'The instance changed state; reload and try again.');
    await enqueueInstanceJob(this.deps.queues, id, 'delete', actor.userId);
    return moved;
  }

  /**
   * Provisions again an instance whose provisioning failed (it never ran: a failed deletion is retried by
   * deleting again). The provisioning workflow starts over after a failed run.
   */
  async retryProvisioning(id: string, actor: AuthenticatedUser) {
    const instance = await this.get(id);
    if (instance.status !== 'failed' || instance.readyAt || instance.desiredState === 'deleted') {
      throw conflict('not_retryable', `Only an instance whose provisioning failed can be provisioned again (it is ${instance.status}).`);
    }
    const moved = await this.repo.transition(
      id,
      ['failed'],
      'pending',
      { actorId: actor.userId, reason: 'provisioning retried' },
      { lastError: null, progress: { operation: 'provision', step: null, stepIndex: 0, stepCount: 0, percent: 0 } },
    );
    if (!moved) throw conflict('invalid_state', 'The instance changed state; reload and try again.');
    await requeueInstanceJob(this.deps.queues, id, 'provision', actor.userId);
    return moved;
  }

  history(id: string) {
    return this.repo.events(id);
  }

  /** The initial admin password, shown once to the tenant and then forgotten by the platform. */
  async revealCredentials(id: string) {
    const instance = await this.get(id);
    if (instance.status !== 'running' && instance.status !== 'stopped') {
      throw conflict('invalid_state', 'Credentials are available once the instance is running.');
    }
    const cleared = await this.repo.update(id, { pendingAdminPassword: null });
    if (!instance.pendingAdminPassword || !cleared) {
      throw gone('credentials_already_shown', 'The initial password was already shown once. Reset the admin password to get a new one.');
    }
    return {
      login: instance.adminLogin,
      password: decrypt(this.deps.config.encryptionKey, instance.pendingAdminPassword, secretContext.instanceAdminPassword(id)),
      url: instanceUrl(this.deps.config, instance.slug),
    };
  }

  /** Sets a new password for Odoo's admin user, directly in the instance's database. */
  async resetAdminPassword(id: string) {
    const instance = await this.get(id);
    if (instance.status !== 'running' && instance.status !== 'stopped') {
      throw conflict('invalid_state', 'The admin password can be reset once the instance is running.');
    }
    const password = randomSecret(12);
    const { db, role } = instanceNames(this.deps.config.resourcePrefix, id);
    // As the instance's own role: the tenant owns res_users, and its triggers must not run with the platform's rights.
    const as = { role, password: decrypt(this.deps.config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(id)) };
    await this.deps.tenantDb.setOdooPasswordHash(db, as, instance.adminLogin, await odooPasswordHash(password));
    await this.repo.update(id, { pendingAdminPassword: null });
    return { login: instance.adminLogin, password, url: instanceUrl(this.deps.config, instance.slug) };
  }

  async logs(id: string, options: { tail: number; follow: boolean }): Promise<Readable> {
    await this.get(id);
    try {
      return await this.deps.runtime.logs(instanceNames(this.deps.config.resourcePrefix, id).container, options);
    } catch (err) {
      if (err instanceof RuntimeError && err.details.statusCode === 404) {
        throw conflict('no_container', 'This instance has no container right now, so there is no log to show.');
      }
      throw err;
    }
  }

  async stats(id: string) {
    const instance = await this.get(id);
    const names = instanceNames(this.deps.config.resourcePrefix, id);
    const [container, storage] = await Promise.all([
      this.deps.runtime.stats(names.container).catch(() => null),
      measureStorage(this.deps, instance),
    ]);
    return {
      cpuPercent: container?.cpuPercent ?? null,
      memoryBytes: container?.memoryBytes ?? null,
      memoryLimitBytes: container?.memoryLimitBytes ?? null,
      diskBytes: storage.filestoreBytes,
      databaseBytes: storage.databaseBytes,
      storage: { usedBytes: storage.usedBytes, limitBytes: storage.limitBytes, state: storage.state },
      at: new Date().toISOString(),
    };
  }
}
