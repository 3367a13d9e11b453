import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceNames, LABELS } from '../../src/instances/instance-names.js';
import { reconcileRuns } from '../../src/instances/instances.tables.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, odooPort, waitForStatus } from '../support/instances.js';

let h: Harness;
let owner: TestUser;
let reconciler: { run(): Promise<{ kind: string; target: string; action: string }[]> };

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  owner = await createUser(h, { label: 'reconcile' });
  const { Reconciler } = await import('../../src/instances/reconciler.js');
  const p = h.platform;
  reconciler = new Reconciler(
    { config: p.config, database: p.database, runtime: p.runtime, tenantDb: p.tenantDb, edge: p.edge, redis: p.redis, log: p.log },
    p.queues,
  );
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe('reconciler', () => {
  it('recreates a container deleted behind its back, restarts a stopped one, and records what it did', async () => {
    const created = await createInstance(h, owner);
    const instance = await waitForStatus(h, owner, created.id, ['running'], 120_000);
    const row = await h.platform.instances.get(instance.id);
    const name = instanceNames(instance.id).container;

    await h.platform.runtime.removeContainer(name);
    expect(await h.platform.runtime.inspectContainer(name)).toBeNull();
    const findings = await reconciler.run();
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'container_missing', target: instance.id, action: 'recreated' }));
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${odooPort(h, row.slot)}/web/health`).catch(() => null))?.status, {
        timeout: 60_000,
      })
      .toBe(200);

    await h.platform.runtime.stopContainer(name);
    const again = await reconciler.run();
    expect(again).toContainEqual(expect.objectContaining({ kind: 'container_down', target: instance.id, action: 'started' }));
    expect((await h.platform.runtime.inspectContainer(name))?.state).toBe('running');

    const [record] = await h.platform.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(1);
    expect(record?.findings).toContainEqual(expect.objectContaining({ kind: 'container_down', target: instance.id }));
    expect(record?.finishedAt).not.toBeNull();

    // A quiet run changes nothing about a healthy instance.
    expect((await reconciler.run()).filter((f) => f.target === instance.id)).toEqual([]);
  }, 180_000);

  it('removes a container with our labels that no instance owns', async () => {
    const row = await h.platform.instances.list(owner.tenantId).then((rows) => rows[0]);
    expect(row).toBeDefined();
    const orphanId = '00000000-0000-4000-8000-000000000001';
    const orphanName = `saas-odoo-orphan-${Date.now()}`;
    const { serverSpecFor } = await import('../../src/instances/instance-context.js');
    const p = h.platform;
    const deps = {
      config: p.config,
      database: p.database,
      runtime: p.runtime,
      tenantDb: p.tenantDb,
      edge: p.edge,
      redis: p.redis,
      log: p.log,
    };
    const spec = await serverSpecFor(deps, row as NonNullable<typeof row>);
    await p.runtime
      .runOneOff(
        { ...spec, name: orphanName, command: ['odoo', '--version'], labels: { ...spec.labels, [LABELS.instance]: orphanId } },
        60_000,
      )
      .catch(() => undefined);
    // runOneOff removes its container; leave one behind on purpose through ensureContainer with a free port.
    await p.runtime.ensureContainer({ ...spec, name: orphanName, publish: [], labels: { ...spec.labels, [LABELS.instance]: orphanId } });
    expect(await p.runtime.inspectContainer(orphanName)).not.toBeNull();
    const findings = await reconciler.run();
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'orphan_container', target: orphanName, action: 'removed' }));
    expect(await p.runtime.inspectContainer(orphanName)).toBeNull();
  }, 120_000);
});
