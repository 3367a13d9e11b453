import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { instanceLabels } from '../../src/instances/instance-context.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { ODOO_CONFIG_PATH } from '../../src/instances/odoo-config.js';
import { odooServerSpec } from '../../src/instances/odoo-container.js';
import { waitForOdoo } from '../../src/instances/odoo-health.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, deleteAndWait, leftovers, provisionRun, waitForProvisionStep, waitForStatus } from '../support/instances.js';
import { odooEnv } from './odoo-env.js';
import { usePlan } from './odoo-support.js';

/**
 * Real Odoo that can never become healthy is recognised within seconds, with its own log lines; a deletion
 * during a real `odoo -i base` stops it at once.
 */

/** Provisions from the version's template when the suite has built it (a clone, seconds), else with `-i base`. */
let h: Harness;
/** Always `-i base`: the deletion test needs one running. */
let fresh: Harness;
let owner: TestUser;

beforeAll(async () => {
  [h, fresh] = await Promise.all([
    startHarness({ env: odooEnv(), workerOptions: { maintenance: false } }),
    startHarness({ env: odooEnv({ PROVISION_FROM_TEMPLATE: 'false' }), workerOptions: { maintenance: false } }),
  ]);
  owner = await createUser(h, { label: 'odoo-failure', verify: 'direct' });
  await usePlan(h, owner, { code: 'odoo-failure', memoryMb: 1024, workers: 2 });
});
afterAll(async () => {
  await Promise.all([h?.close(), fresh?.close()]);
});

describe('real Odoo that cannot serve', () => {
  it("is recognised within seconds when its workers die at birth (the VMS limits of a container's share), with Odoo's log", async () => {
    const created = await createInstance(h, owner, { version: '17.0' });
    const running = await waitForStatus(h, owner, created.id, ['running', 'failed'], 180_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    const row = await new InstancesRepository(h.platform.db).findById(created.id);
    if (!row) throw new Error('instance row missing');
    const config = h.platform.config;
    const spec = odooServerSpec(config, {
      names: instanceNames(config.resourcePrefix, row.id),
      image: row.image,
      version: row.version,
      limits: row.limits,
      dbPassword: decrypt(config.encryptionKey, row.dbPassword, secretContext.instanceDbPassword(row.id)),
      masterPasswordHash: '',
      labels: instanceLabels(config, row),
      slot: row.slot,
    });
    // The limits the platform used to derive from a 1 GiB plan with 2 workers: below a fresh worker's size.
    const file = spec.files.find((f) => f.path === ODOO_CONFIG_PATH);
    if (!file) throw new Error('no config file in the spec');
    file.content = file.content
      .replace(/^limit_memory_soft = .*$/m, 'limit_memory_soft = 214748364')
      .replace(/^limit_memory_hard = .*$/m, 'limit_memory_hard = 268435456');
    await h.platform.runtime.ensureContainer(spec);

    const started = Date.now();
    const health = await waitForOdoo(h.platform, row, { timeoutMs: 120_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(health.ok).toBe(false);
    if (health.ok) return;
    expect(health.reason).toMatch(/workers die as they start/);
    expect(health.logs).toMatch(/Worker \(\d+\) virtual memory limit \(\d+\) reached/);
    expect(seconds).toBeLessThan(20);
    console.log(`[real Odoo 17.0] crash loop recognised after ${seconds.toFixed(1)} s: ${health.reason}`);

    await deleteAndWait(h, owner, created.id);
    expect(await leftovers(h, created.id)).toEqual([]);
  });

  it('stops a real `odoo -i base` at once when the instance is deleted, and leaves nothing behind', async () => {
    const created = await createInstance(fresh, owner, { version: '17.0' });
    await waitForProvisionStep(fresh, created.id, 'odoo-database');
    // Odoo's init container is running (it takes several seconds): delete now.
    await new Promise((r) => setTimeout(r, 1_000));
    const seconds = await deleteAndWait(fresh, owner, created.id);
    console.log(`[real Odoo 17.0] deleted during -i base in ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(10);
    expect((await provisionRun(fresh, created.id))?.status).toBe('cancelled');
    expect(await leftovers(fresh, created.id)).toEqual([]);
  });
});
