import { randomBytes } from 'node:crypto';
import type { InstanceOpsDeps } from './instance-context.js';
import { withTemplateLock } from './instance-locks.js';
import { LABELS, slotSubnet, templateNames } from './instance-names.js';
import { OdooVersionsRepository } from './instances.repo.js';
import { ODOO_DATA_DIR } from './odoo-config.js';
import { odooInitSpec } from './odoo-container.js';

const INIT_TIMEOUT_MS = 15 * 60_000;
const TEMPLATE_LIMITS = { memoryMb: 1024, cpuMillis: 1000, pids: 512, storageGb: 5, workers: 0 };

/**
 * Builds (or rebuilds) the pre-initialized database and filestore of one Odoo version: a one-off
 * `odoo -i base` into a template database that no running Odoo ever serves, so it can be cloned.
 */
export async function buildTemplate(deps: InstanceOpsDeps, version: string): Promise<'ready' | 'failed' | 'unchanged'> {
  const versions = new OdooVersionsRepository(deps.database.db);
  const entry = await versions.find(version);
  if (!entry) throw new Error(`unknown Odoo version ${version}`);
  const names = templateNames(deps.config.resourcePrefix, version);
  const labels = { [LABELS.managed]: 'true', [LABELS.platform]: deps.config.resourcePrefix };
  const initName = `${deps.config.resourcePrefix}-tpl-${names.db}`;
  return withTemplateLock(deps.database.pool, version, async () => {
    await versions.setTemplate(version, { image: entry.image, status: 'building', error: null });
    try {
      await deps.runtime.ensureImage(entry.image, { pull: deps.config.imagePull });
      const password = randomBytes(24).toString('base64url');
      await deps.tenantDb.ensureRole(names.role, password);
      await deps.tenantDb.dropDatabase(names.db);
      await deps.tenantDb.ensureDatabase(names.db, names.role);
      // A fresh filestore: the old one belongs to the dropped database. An init container left by a
      // crashed build would still hold the volume.
      await deps.runtime.removeContainer(`${initName}-init`);
      await deps.runtime.removeVolume(names.volume);
      await deps.runtime.ensureVolume(
        names.volume,
        { ...labels, [LABELS.role]: 'odoo-template' },
        { image: entry.image, path: ODOO_DATA_DIR },
      );
      await deps.runtime.ensureNetwork({
        name: names.network,
        subnet: slotSubnet(deps.config.instanceSubnetPool, 0),
        labels: { ...labels, [LABELS.role]: 'builder' },
      });
      const spec = odooInitSpec(deps.config, {
        names: { container: initName, network: names.network, volume: names.volume, db: names.db, role: names.role },
        image: entry.image,
        version,
        limits: TEMPLATE_LIMITS,
        dbPassword: password,
        masterPasswordHash: '',
        labels: { ...labels, [LABELS.role]: 'odoo-template' },
      });
      const result = await deps.runtime.runOneOff(spec, INIT_TIMEOUT_MS);
      if (result.exitCode !== 0) throw new Error(`odoo -i base exited ${result.exitCode}: ${result.output.slice(-2000)}`);
      // Nobody logs in to a template: its role needs no password, and no connection may stay open.
      await deps.tenantDb.ensureRole(names.role, randomBytes(24).toString('base64url'));
      await deps.tenantDb.disconnectAll(names.db);
      await versions.setTemplate(version, { image: entry.image, status: 'ready', builtAt: new Date(), error: null });
      deps.log.info({ version }, 'Odoo template ready');
      return 'ready';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await versions.setTemplate(version, { image: entry.image, status: 'failed', error: message });
      deps.log.error({ version, err: message }, 'Odoo template build failed');
      return 'failed';
    }
  });
}

/** Templates missing, failed, or built from another image than the version's current one. */
export async function templatesToBuild(deps: InstanceOpsDeps): Promise<string[]> {
  // Without the fast path nothing clones a template, so none is built.
  if (!deps.config.provisionFromTemplate) return [];
  const versions = new OdooVersionsRepository(deps.database.db);
  const out: string[] = [];
  for (const v of await versions.list()) {
    if (!v.enabled) continue;
    const template = await versions.template(v.version);
    if (!template || template.image !== v.image || template.status !== 'ready') out.push(v.version);
  }
  return out;
}
