import Docker from 'dockerode';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { instanceNames, LABELS } from '../../src/instances/instance-names.js';
import { instances, reconcileRuns } from '../../src/instances/instances.tables.js';
import { VOLUME_SEED_ROLE } from '../../src/runtime/instance-runtime.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { IMAGE as STANDIN_IMAGE } from '../support/docker-runtime.js';
import { createInstance, odooPort, waitForStatus } from '../support/instances.js';

let h: Harness;
let owner: TestUser;
let reconciler: { run(): Promise<{ kind: string; target: string; action: string }[]> };

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  owner = await createUser(h, { label: 'reconcile' });
  const { Reconciler } = await import('../../src/instances/reconciler.js');
  const p = h.platform;
  reconciler = new Reconciler(p, p.queues);
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe('reconciler', () => {
  it('recreates a container deleted behind its back, restarts a stopped one, and records what it did', async () => {
    const created = await createInstance(h, owner);
    const instance = await waitForStatus(h, owner, created.id, ['running'], 120_000);
    const row = await h.platform.instances.get(instance.id);
    const name = instanceNames(h.platform.config.resourcePrefix, instance.id).container;

    await h.platform.runtime.removeContainer(name);
    expect(await h.platform.runtime.inspectContainer(name)).toBeNull();
    const findings = await reconciler.run();
    // Other files' workers reconcile the shared database too, and one of them may have recreated it first:
    // then its run recorded the finding.
    const recreated = expect.objectContaining({ kind: 'container_missing', target: instance.id, action: 'recreated' });
    const recorded = async () =>
      (await h.platform.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(50)).flatMap((r) => r.findings ?? []);
    await expect.poll(async () => [...findings, ...(await recorded())], { timeout: 30_000 }).toContainEqual(recreated);
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${odooPort(h, row.slot)}/web/health`).catch(() => null))?.status, {
        timeout: 60_000,
      })
      .toBe(200);

    await h.platform.runtime.stopContainer(name);
    const again = await reconciler.run();
    // As above: another file's worker may hold the instance's lock and restart it first; either run records it.
    const started = expect.objectContaining({ kind: 'container_down', target: instance.id, action: 'started' });
    // A run records its findings when it finishes: the other one may still be at work.
    await expect.poll(async () => [...again, ...(await recorded())], { timeout: 30_000 }).toContainEqual(started);
    expect((await h.platform.runtime.inspectContainer(name))?.state).toBe('running');

    // Find the run that did it among the latest by what it did to this instance: it was recorded as finished.
    const records = await h.platform.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(50);
    const record = records.find((r) => r.findings?.some((f) => f.kind === 'container_down' && f.target === instance.id));
    expect(record?.findings).toContainEqual(started);
    expect(record?.finishedAt).not.toBeNull();

    // A quiet run changes nothing about a healthy instance.
    expect((await reconciler.run()).filter((f) => f.target === instance.id)).toEqual([]);
  }, 180_000);

  it('applies a new plan to running containers at once, and streams logs in follow mode', async () => {
    const [row] = await h.platform.instances.list(owner.tenantId);
    expect(row?.status).toBe('running');
    const admin = await createUser(h, { label: 'reconcile-admin', verify: 'direct' });
    await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
    const plan = { name: 'Bigger', maxInstances: 5, memoryMb: 768, cpuMillis: 1500, pids: 300, storageGb: 20, workers: 1 };
    expect((await call(h.app, 'PUT', '/api/v1/admin/plans/bigger', { client: admin, body: plan })).statusCode).toBe(200);
    const moved = await call(h.app, 'PUT', `/api/v1/admin/tenants/${owner.tenantId}/plan`, { client: admin, body: { planCode: 'bigger' } });
    expect(moved.statusCode, moved.body).toBe(200);
    const name = instanceNames(h.platform.config.resourcePrefix, row?.id ?? '').container;
    const engine = h.platform.runtime as unknown as { docker: import('dockerode') };
    // The container is also replaced meanwhile (the restart below): one that is gone for a moment reads as null.
    const limits = async () => {
      const info = await engine.docker
        .getContainer(name)
        .inspect()
        .catch(() => null);
      return info && { memory: info.HostConfig.Memory, nanoCpus: info.HostConfig.NanoCpus, pids: info.HostConfig.PidsLimit };
    };
    await expect
      .poll(limits, { timeout: 30_000, interval: 300 })
      .toEqual({ memory: 768 * 1024 * 1024, nanoCpus: 1_500_000_000, pids: 300 });
    expect((await h.platform.instances.get(row?.id ?? '')).limits).toMatchObject({ memoryMb: 768, workers: 1 });
    // The worker count changed (starter's 2 → 1): the instance restarts once, announced, to apply it.
    await expect
      .poll(async () => (await h.platform.instances.history(row?.id ?? '')).map((e) => e.reason), { timeout: 60_000, interval: 300 })
      .toEqual(expect.arrayContaining(['restarting to apply the new plan (Odoo workers 2 → 1)', 'restarted']));

    // Follow mode: the response stays open and carries the log as it is written.
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const res = await fetch(`${address}/api/v1/instances/${row?.id}/logs?tail=5&follow=true`, {
      headers: { authorization: `Bearer ${owner.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toMatch(/odoo|werkzeug|INFO/);
    controller.abort();
  }, 60_000);

  it('removes a container with our labels that no instance owns', async () => {
    const row = await h.platform.instances.list(owner.tenantId).then((rows) => rows[0]);
    expect(row).toBeDefined();
    const orphanId = '00000000-0000-4000-8000-000000000001';
    const orphanName = `saas-odoo-orphan-${Date.now()}`;
    const { serverSpecFor } = await import('../../src/instances/instance-context.js');
    const p = h.platform;
    const deps = p;
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
    const removal = expect.objectContaining({ kind: 'orphan_container', target: orphanName, action: 'removed' });
    if (!findings.some((f) => f.kind === 'orphan_container' && f.target === orphanName)) {
      // Another reconciler on the same engine and database (a worker process of a test running alongside) got there first.
      const runs = await p.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(50);
      expect(runs.flatMap((r) => r.findings)).toContainEqual(removal);
    } else {
      expect(findings).toContainEqual(removal);
    }
    expect(await p.runtime.inspectContainer(orphanName)).toBeNull();
  }, 120_000);

  it('removes a volume seed helper a crash left behind, which would pin its volume for ever', async () => {
    const p = h.platform;
    const docker = new Docker({ socketPath: p.config.dockerSocket });
    const volume = `${p.config.resourcePrefix}-seedleft-${Date.now()}`;
    const labels = { [LABELS.managed]: 'true', [LABELS.platform]: p.config.resourcePrefix };
    await p.runtime.ensureVolume(volume, labels, { image: STANDIN_IMAGE, path: '/var/lib/odoo' });
    // ensureVolume removed its own helper at once.
    const holding = async () => (await docker.listContainers({ all: true, filters: { volume: [volume] } })).map((c) => c.Names[0]);
    expect(await holding()).toEqual([]);
    // The state a crash between ensureVolume's create and remove of its helper leaves: a helper holding the volume.
    const helper = await docker.createContainer({
      name: `saas-seed-left-${Date.now()}`,
      Image: STANDIN_IMAGE,
      Entrypoint: ['/never-started'],
      Labels: { ...labels, [LABELS.role]: VOLUME_SEED_ROLE },
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/var/lib/odoo' }] },
    });
    const name = (await helper.inspect()).Name.replace(/^\//, '');
    expect(await holding()).toEqual([`/${name}`]);
    await expect(p.runtime.removeVolume(volume)).rejects.toThrow();

    const findings = await reconciler.run();
    const removal = expect.objectContaining({ kind: 'orphan_container', target: name, action: 'removed' });
    if (!findings.some((f) => f.target === name)) {
      // Another reconciler on the same engine and database got there first.
      const runs = await p.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(50);
      expect(runs.flatMap((r) => r.findings)).toContainEqual(removal);
    } else {
      expect(findings).toContainEqual(removal);
    }
    expect(await p.runtime.inspectContainer(name)).toBeNull();
    await p.runtime.removeVolume(volume);
    expect(await p.runtime.volumeExists(volume)).toBe(false);
  }, 120_000);

  it("removes a deleted instance's volume left behind (its node was away at the deletion), never a live one's", async () => {
    const p = h.platform;
    const [kept, gone] = [await createInstance(h, owner), await createInstance(h, owner)];
    for (const i of [kept, gone]) await waitForStatus(h, owner, i.id, ['running'], 120_000);
    expect((await call(h.app, 'DELETE', `/api/v1/instances/${gone.id}`, { client: owner })).statusCode).toBe(202);
    const status = async (id: string) =>
      (await p.db.select({ status: instances.status }).from(instances).where(eq(instances.id, id)))[0]?.status;
    await expect.poll(() => status(gone.id), { timeout: 60_000 }).toBe('deleted');
    const names = (id: string) => instanceNames(p.config.resourcePrefix, id);
    expect(await p.runtime.volumeExists(names(gone.id).volume)).toBe(false);
    // What a node that was away during the deletion still holds: the instance's volume, with its labels.
    const left = names(gone.id).volume;
    const labels = { [LABELS.managed]: 'true', [LABELS.platform]: p.config.resourcePrefix, [LABELS.tenant]: owner.tenantId };
    await p.runtime.ensureVolume(left, { ...labels, [LABELS.instance]: gone.id });

    const findings = await reconciler.run();
    const removal = expect.objectContaining({ kind: 'orphan_volume', target: left, action: 'removed' });
    // Another file's worker reconciles the same engine and database, and may remove it first: its run records it.
    const recorded = async () =>
      (await p.db.select().from(reconcileRuns).orderBy(desc(reconcileRuns.startedAt)).limit(50)).flatMap((r) => r.findings ?? []);
    await expect.poll(async () => [...findings, ...(await recorded())], { timeout: 30_000 }).toContainEqual(removal);
    expect(await p.runtime.volumeExists(left)).toBe(false);
    // The live instance keeps its volume, and serves.
    expect(await p.runtime.volumeExists(names(kept.id).volume)).toBe(true);
    expect(findings.filter((f) => f.target === names(kept.id).volume)).toEqual([]);
    expect(await status(kept.id)).toBe('running');
  }, 180_000);
});
