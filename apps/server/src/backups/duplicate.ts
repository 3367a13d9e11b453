import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { instanceNames } from '../instances/instance-names.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import { instanceUrl, ODOO_ADMIN_LOGIN } from '../instances/instances.service.js';
import type { ProvisionContext } from '../instances/provision.workflow.js';
import { PermanentStepError } from '../jobs/workflow.js';
import { instanceLogin } from './backup-runner.js';
import { BackupsRepository } from './backups.repo.js';
import { neutralizeDatabase } from './odoo-sandbox.js';
import { extractBackup, loadDatabase, loadFilestore } from './restore-source.js';

/**
 * The database step of provisioning a new instance from a backup (a duplicate, e.g. a staging copy): the
 * backup's database and filestore are loaded, then neutralised the way Odoo.sh neutralises staging copies
 * (Odoo's own `neutralize`: outgoing mail servers, scheduled actions, payment providers... off), and given a
 * new `database.uuid` and `database.secret`, this instance's address and a new administrator password.
 */
export async function prepareFromBackup({ deps, instance, signal, adminPasswordHash }: ProvisionContext, backupId: string) {
  const backup = await new BackupsRepository(deps.database.db).find(backupId);
  if (backup?.status !== 'completed' || backup.tenantId !== instance.tenantId) {
    throw new PermanentStepError('The backup to start from is no longer available.');
  }
  const names = instanceNames(deps.config.resourcePrefix, instance.id);
  const workDir = join(deps.config.backups.workDir, `duplicate-${instance.id}`);
  try {
    const { root } = await extractBackup(deps, backup, workDir, instance.version);
    await loadDatabase(deps, instance, root, signal);
    await loadFilestore(deps, instance, root);
    await neutralizeDatabase(deps, instance, names.db, signal);
    const as = instanceLogin(deps, instance);
    const adminLogin = (await deps.tenantDb.odooAdminLogin(names.db, as)) ?? ODOO_ADMIN_LOGIN;
    await new InstancesRepository(deps.database.db).update(instance.id, { adminLogin, provisionPath: 'backup' });
    if (!adminPasswordHash) throw new PermanentStepError('the initial admin password is missing');
    await deps.tenantDb.personalizeOdooDatabase(names.db, as, {
      baseUrl: instanceUrl(deps.config, instance.slug),
      adminLogin,
      adminPasswordHash: await adminPasswordHash,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
