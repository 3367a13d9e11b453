import { and, eq, inArray, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { billingAccounts } from '../../src/billing/billing.tables.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, type Harness, joinTenant, startHarness, type TestUser, waitForMail } from '../harness.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../support/nginx.js';

/**
 * The operators' tenant screens against the real API, worker, stand-in instances and a private nginx:
 * search, filters, sort and paging; the detail page; suspend → stopped instance and suspended page →
 * resume → running again, audited and mailed; who may do it.
 */

let edge: PlatformEdge;
let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;
let member: TestUser;
let instance: InstanceDto;
/** A word only this file's tenants have in their names, so the list filters ignore other tests' tenants. */
const marker = `zq${Date.now().toString(36)}`;

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({ env: { ...edge.env, PROVISION_FROM_TEMPLATE: 'false' } });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  [admin, support, owner, member] = await Promise.all([
    createUser(h, { label: 'tenants-admin', verify: 'direct', platformRole: 'admin' }),
    createUser(h, { label: 'tenants-support', verify: 'direct', platformRole: 'support' }),
    createUser(h, { label: `${marker}-owner` }),
    createUser(h, { label: 'tenants-member', verify: 'direct' }),
  ]);
  await joinTenant(h, owner, member, 'member');
}, 90_000);

afterAll(async () => {
  if (instance) {
    const current = await new InstancesRepository(h.platform.db).findById(instance.id);
    if (current && current.status !== 'deleted' && current.status !== 'deleting') {
      await call(h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner });
    }
    await waitFor(async () => (await new InstancesRepository(h.platform.db).findById(instance.id))?.status === 'deleted', 60_000).catch(
      () => undefined,
    );
  }
  await h?.close();
  await edge?.stop();
}, 90_000);

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

const list = async (query: string, client: TestUser = admin) => {
  const res = await call(h.app, 'GET', `/api/v1/admin/tenants?${query}`, { client });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { id: string; name: string; memberCount: number; operatorSuspendedAt: string | null }[]; total: number };
};

const edgeGet = () => request(edge.httpPort, `${instance.slug}.localhost:${edge.httpPort}`, '/web/login');

describe('admin tenant list', () => {
  it('searches by name and owner email, sorts and pages on the server', async () => {
    // Three more tenants of this file, named so the sort by name has a known order.
    const extra = await Promise.all(['c', 'a', 'b'].map((l) => createUser(h, { label: `tenants-extra-${l}`, verify: 'direct' })));
    await Promise.all(
      extra.map((u, i) =>
        h.platform.db
          .update(tenants)
          .set({ name: `${marker} ${['c', 'a', 'b'][i]}` })
          .where(eq(tenants.id, u.tenantId)),
      ),
    );
    const byName = await list(`q=${marker}&sort=name&order=asc`);
    expect(byName.total).toBe(4); // the three renamed, and the owner's (its owner's email has the marker)
    expect(byName.items.map((t) => t.name).filter((n) => n.startsWith(marker))).toEqual([`${marker} a`, `${marker} b`, `${marker} c`]);
    const byEmail = await list(`q=${encodeURIComponent(owner.email)}`);
    expect(byEmail.items.map((t) => t.id)).toEqual([owner.tenantId]);

    const first = await list(`q=${marker}&sort=name&order=asc&limit=2&offset=0`);
    const second = await list(`q=${marker}&sort=name&order=asc&limit=2&offset=2`);
    expect(first.total).toBe(4);
    expect([...first.items, ...second.items].map((t) => t.id)).toEqual(byName.items.map((t) => t.id));

    const byMembers = await list(`q=${marker}&sort=members&order=desc`);
    expect(byMembers.items[0]).toMatchObject({ id: owner.tenantId, memberCount: 2 });
    const refused = await call(h.app, 'GET', '/api/v1/admin/tenants?sort=password', { client: admin });
    expect(refused.statusCode).toBe(400);
  });

  it('refuses tenant users, and lets support read', async () => {
    expect((await call(h.app, 'GET', '/api/v1/admin/tenants', { client: owner })).statusCode).toBe(403);
    expect((await call(h.app, 'GET', `/api/v1/admin/tenants/${owner.tenantId}`, { client: member })).statusCode).toBe(403);
    expect((await list(`q=${marker}`, support)).total).toBe(4);
  });
});

describe('admin tenant detail and suspension', () => {
  it('shows members, instances, subscription and invoices', async () => {
    instance = await createInstance(h, owner, { version: '18.0' });
    instance = await waitForStatus(h, owner, instance.id, ['running', 'failed']);
    expect(instance.status, instance.lastError ?? '').toBe('running');
    const res = await call(h.app, 'GET', `/api/v1/admin/tenants/${owner.tenantId}`, { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const detail = res.json();
    expect(detail.members.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual(
      [
        [owner.email, 'owner'],
        [member.email, 'member'],
      ].sort(),
    );
    expect(detail.instances).toEqual([expect.objectContaining({ id: instance.id, status: 'running', version: '18.0' })]);
    expect(detail.subscription).toMatchObject({ access: 'full' });
    expect(detail.operatorSuspension).toBeNull();
    expect(detail.invoices).toEqual([]);
    expect((await call(h.app, 'GET', `/api/v1/admin/tenants/${crypto.randomUUID()}`, { client: admin })).statusCode).toBe(404);
  });

  it('suspends: the instance stops and its address serves the suspended page; resume brings it back', async () => {
    expect((await edgeGet()).body).toContain('stand-in');
    const path = `/api/v1/admin/tenants/${owner.tenantId}`;
    // Support may look but not act; a reason is required.
    expect((await call(h.app, 'POST', `${path}/suspend`, { client: support, body: { reason: 'abuse report' } })).statusCode).toBe(403);
    expect((await call(h.app, 'POST', `${path}/suspend`, { client: owner, body: { reason: 'abuse report' } })).statusCode).toBe(403);
    expect((await call(h.app, 'POST', `${path}/suspend`, { client: admin, body: {} })).statusCode).toBe(400);

    const suspended = await call(h.app, 'POST', `${path}/suspend`, { client: admin, body: { reason: 'abuse report #42' } });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toMatchObject({ access: 'suspended', enforcement: 'full → suspended' });
    const again = await call(h.app, 'POST', `${path}/suspend`, { client: admin, body: { reason: 'twice' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('tenant_already_suspended');

    const stopped = await waitForStatus(h, owner, instance.id, ['stopped'], 60_000);
    expect(stopped.suspended).toBe(true);
    await waitFor(async () => (await edgeGet()).status === 503, 20_000, 'suspended page');
    expect((await edgeGet()).body.toLowerCase()).toContain('suspended');
    const mail = await waitForMail(h.app, owner.email, 'suspended by the platform operator');
    expect(mail.text).toContain('abuse report #42');
    // The tenant's own app says who suspended it, and the owner cannot start the instance.
    const billing = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/billing`, { client: owner });
    expect(billing.json().notices).toEqual([expect.objectContaining({ kind: 'operator-suspended' })]);
    const start = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/start`, { client: owner });
    expect(start.statusCode).toBe(402);
    // The refusal says whose suspension it is: paying would not lift an operator's.
    expect(start.json()).toMatchObject({ code: 'tenant_suspended', detail: expect.stringContaining('platform operator') });
    expect((await list(`q=${marker}&suspended=true`)).items.map((t) => t.id)).toEqual([owner.tenantId]);
    expect((await list(`q=${marker}&access=suspended`)).items.map((t) => t.id)).toEqual([owner.tenantId]);
    expect((await list(`q=${marker}&suspended=false`)).total).toBe(3);

    const resumed = await call(h.app, 'POST', `${path}/resume`, { client: admin, body: {} });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toMatchObject({ access: 'full', operatorSuspendedAt: null });
    const twice = await call(h.app, 'POST', `${path}/resume`, { client: admin, body: {} });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('tenant_not_suspended');
    const running = await waitForStatus(h, owner, instance.id, ['running'], 90_000);
    expect(running.suspended).toBe(false);
    await waitFor(async () => (await edgeGet()).status === 200, 20_000, 'instance served again');
    expect((await edgeGet()).body).toContain('stand-in');
    await waitForMail(h.app, owner.email, 'resumed by the platform operator');
    const [account] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId));
    expect(account).toMatchObject({ operatorSuspendedAt: null, operatorSuspendReason: null, access: 'full' });

    // Who did what and why, in the tenant's audit log; support's refused attempt too.
    const rows = await h.platform.db
      .select()
      .from(auditLog)
      .where(
        and(
          // Refused requests never reach the handler that names the tenant: they are found by their target.
          or(eq(auditLog.tenantId, owner.tenantId), eq(auditLog.targetId, owner.tenantId)),
          inArray(auditLog.action, [
            'admin.suspend_tenant',
            'admin.resume_tenant',
            'tenant.operator_suspension_applied',
            'tenant.operator_resumption_applied',
          ]),
        ),
      );
    const summary = rows.map((r) => [r.action, r.actorId, r.result]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['admin.suspend_tenant', admin.userId, 'success'],
        ['admin.suspend_tenant', admin.userId, 'failure'],
        ['admin.suspend_tenant', support.userId, 'failure'],
        ['admin.resume_tenant', admin.userId, 'success'],
        ['tenant.operator_suspension_applied', null, 'success'],
        ['tenant.operator_resumption_applied', null, 'success'],
      ]),
    );
    expect(rows.find((r) => r.action === 'admin.suspend_tenant' && r.result === 'success')?.details).toMatchObject({
      reason: 'abuse report #42',
    });
    // The tenant's audit log, as the detail page reads it (paged).
    const audit = await call(h.app, 'GET', `/api/v1/admin/audit-log?tenantId=${owner.tenantId}&limit=2`, { client: support });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items).toHaveLength(2);
    expect(audit.json().total).toBeGreaterThan(2);
  }, 180_000);
});
