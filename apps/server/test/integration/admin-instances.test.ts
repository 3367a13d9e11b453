import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/admin/admin-instances.service.js';
import { auditLog } from '../../src/audit/audit.tables.js';
import { encrypt, secretContext } from '../../src/auth/secrets.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { instanceNames, slotCapacity } from '../../src/instances/instance-names.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { Reconciler } from '../../src/instances/reconciler.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, type InstanceDto, uniqueSlug, waitForStatus } from '../support/instances.js';

/**
 * The operators' instance screens against the real API, worker and stand-in containers: the list across
 * tenants with its filters, sort and paging; one instance's facts, history, reconciler findings and log;
 * start, stop, restart, retry of a failed provisioning and deletion, audited; who may do it.
 */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;
let other: TestUser;
let instance: InstanceDto;
let broken: InstanceDto;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  [admin, support, owner, other] = await Promise.all([
    createUser(h, { label: 'instances-admin', verify: 'direct' }),
    createUser(h, { label: 'instances-support', verify: 'direct' }),
    createUser(h, { label: 'instances-owner', verify: 'direct' }),
    createUser(h, { label: 'instances-other', verify: 'direct' }),
  ]);
  await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
  await new UsersRepository(h.platform.db).update(support.userId, { platformRole: 'support' });
}, 60_000);

afterAll(async () => {
  const repo = new InstancesRepository(h.platform.db);
  for (const i of [instance, broken]) {
    const current = i && (await repo.findById(i.id));
    if (current && current.status !== 'deleted' && current.status !== 'deleting') {
      await call(h.app, 'DELETE', `/api/v1/instances/${i.id}`, { client: owner });
    }
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const left = await Promise.all([instance, broken].filter(Boolean).map((i) => repo.findById(i.id)));
    if (left.every((r) => !r || r.status === 'deleted')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await h?.close();
}, 90_000);

/**
 * An instance whose provisioning failed, as the worker leaves one (status failed, nothing in the engine,
 * never ready), on Odoo 17.0: what an operator retries once the cause is fixed.
 */
async function failedInstance(tenantId: string, slug: string): Promise<InstanceDto> {
  const repo = new InstancesRepository(h.platform.db);
  const key = h.platform.config.encryptionKey;
  const id = randomUUID();
  const slot = await repo.freeSlot(slotCapacity(h.platform.config.instanceSubnetPool));
  if (slot === null) throw new Error('no free slot');
  const row = await repo.insert({
    id,
    tenantId,
    name: 'Broken shop',
    slug,
    version: '17.0',
    image: 'odoo-standin:17.0',
    status: 'failed',
    desiredState: 'running',
    limits: { memoryMb: 1024, cpuMillis: 1000, pids: 512, storageGb: 10, workers: 2 },
    slot,
    dbPassword: encrypt(key, randomUUID(), secretContext.instanceDbPassword(id)),
    masterPassword: encrypt(key, randomUUID(), secretContext.instanceMasterPassword(id)),
    pendingAdminPassword: encrypt(key, randomUUID(), secretContext.instanceAdminPassword(id)),
    lastError: 'provisioning failed and was rolled back: the image could not be fetched',
  });
  return { ...row, url: '' } as unknown as InstanceDto;
}

type Listed = { items: (InstanceDto & { tenantName: string })[]; total: number };
const list = async (query: string, client: TestUser = admin) => {
  const res = await call(h.app, 'GET', `/api/v1/admin/instances?${query}`, { client });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Listed;
};
const act = (id: string, action: string, client: TestUser = admin, body: object = { reason: 'test' }) =>
  call(h.app, 'POST', `/api/v1/admin/instances/${id}/${action}`, { client, body });

describe('admin instances', () => {
  it('lists instances of every tenant with filters, sort and paging', async () => {
    const slug = uniqueSlug('adm');
    instance = await createInstance(h, owner, { version: '18.0', slug });
    broken = await failedInstance(other.tenantId, `${slug}-b`);
    instance = await waitForStatus(h, owner, instance.id, ['running', 'failed']);
    expect(instance.status, instance.lastError ?? '').toBe('running');

    const both = await list(`q=${slug}&sort=slug&order=asc`);
    expect(both.total).toBe(2);
    expect(both.items.map((i) => i.id)).toEqual([instance.id, broken.id]);
    expect(both.items[0]?.tenantName).toBe(`Org of ${owner.email}`);
    expect((await list(`q=${slug}&sort=slug&order=desc`)).items.map((i) => i.id)).toEqual([broken.id, instance.id]);
    expect((await list(`q=${slug}&status=failed`)).items.map((i) => i.id)).toEqual([broken.id]);
    expect((await list(`q=${slug}&tenantId=${owner.tenantId}`)).items.map((i) => i.id)).toEqual([instance.id]);
    expect((await list(`q=${slug}&version=17.0`)).items.map((i) => i.id)).toEqual([broken.id]);
    const paged = await list(`q=${slug}&sort=slug&order=asc&limit=1&offset=1`);
    expect(paged).toMatchObject({ total: 2, items: [expect.objectContaining({ id: broken.id })] });
    expect((await list(`q=${slug}`, support)).total).toBe(2);
    expect((await call(h.app, 'GET', '/api/v1/admin/instances', { client: owner })).statusCode).toBe(403);
  }, 120_000);

  it('shows one instance: facts, state history, reconciler findings and the log', async () => {
    const detail = await call(h.app, 'GET', `/api/v1/admin/instances/${instance.id}`, { client: support });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ id: instance.id, tenantName: `Org of ${owner.email}`, status: 'running', version: '18.0' });
    const history = (await call(h.app, 'GET', `/api/v1/admin/instances/${instance.id}/history`, { client: support })).json();
    expect(history.map((e: { toStatus: string }) => e.toStatus)).toEqual(['pending', 'provisioning', 'running']);

    // The container dies behind the platform's back: the reconciler's finding shows on the instance.
    await h.platform.runtime.stopContainer(instanceNames(h.platform.config.resourcePrefix, instance.id).container);
    await new Reconciler(h.platform, h.platform.queues).run();
    // Another file's worker may hold the instance's lock and restart it first: its run records the finding when it ends.
    const findings = async () => {
      const res = await call(h.app, 'GET', `/api/v1/admin/instances/${instance.id}/findings`, { client: support });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    await expect
      .poll(findings, { timeout: 30_000 })
      .toEqual([expect.objectContaining({ kind: 'container_down', target: instance.id, action: 'started' })]);

    const logs = await call(h.app, 'GET', `/api/v1/admin/instances/${instance.id}/logs?tail=50`, { client: support });
    expect(logs.statusCode, logs.body).toBe(200);
    expect(logs.json()).toMatchObject({ truncated: false, text: expect.any(String) });
    expect(logs.json().text.length).toBeGreaterThan(0);
    expect(redactSecrets('db_password = s3cret host=x\n"token": "abc" postgres://odoo:pw@db/x')).toBe(
      'db_password = [redacted] host=x\n"token": "[redacted]" postgres://odoo:[redacted]@db/x',
    );
    expect((await call(h.app, 'GET', `/api/v1/admin/instances/${instance.id}/logs`, { client: owner })).statusCode).toBe(403);
  }, 60_000);

  it('stops, starts and restarts an instance; support and tenant users are refused', async () => {
    expect((await act(instance.id, 'stop', support)).statusCode).toBe(403);
    expect((await act(instance.id, 'stop', owner)).statusCode).toBe(403);
    const stop = await act(instance.id, 'stop', admin, { reason: 'customer asked by phone' });
    expect(stop.statusCode, stop.body).toBe(202);
    await waitForStatus(h, owner, instance.id, ['stopped'], 60_000);
    expect((await act(instance.id, 'restart')).statusCode).toBe(409);
    expect((await act(instance.id, 'start', admin, {})).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['running'], 90_000);
    expect((await act(instance.id, 'restart')).statusCode).toBe(202);
    expect((await act(instance.id, 'retry')).json().code).toBe('not_retryable');

    const rows = await h.platform.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, instance.id), eq(auditLog.action, 'admin.instance_stop')));
    expect(rows.map((r) => [r.actorId, r.result, r.tenantId])).toEqual(
      expect.arrayContaining([
        [admin.userId, 'success', owner.tenantId],
        [support.userId, 'failure', null],
      ]),
    );
    expect(rows.find((r) => r.result === 'success')?.details).toMatchObject({ reason: 'customer asked by phone' });
  }, 180_000);

  it('provisions a failed instance again, then deletes it', async () => {
    const retried = await act(broken.id, 'retry');
    expect(retried.statusCode, retried.body).toBe(202);
    const running = await waitForStatus(h, other, broken.id, ['running', 'failed'], 90_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    const history = (await call(h.app, 'GET', `/api/v1/admin/instances/${broken.id}/history`, { client: admin })).json();
    expect(history.map((e: { reason: string }) => e.reason)).toContain('provisioning retried');

    expect((await act(broken.id, 'delete', support)).statusCode).toBe(403);
    expect((await act(broken.id, 'delete')).statusCode).toBe(202);
    const deadline = Date.now() + 60_000;
    let status = '';
    while (Date.now() < deadline && status !== 'deleted') {
      status = (await call(h.app, 'GET', `/api/v1/admin/instances/${broken.id}`, { client: admin })).json().status;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('deleted');
  }, 180_000);
});
