import { and, desc, eq, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { backups } from '../../src/backups/backups.tables.js';
import { billingAccounts, subscriptionChanges } from '../../src/billing/billing.tables.js';
import { enforceAll, enforceTenant } from '../../src/billing/enforcement.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { TenantsRepository } from '../../src/tenants/tenants.repo.js';
import { invitations, tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, type Harness, joinTenant, startHarness, type TestUser, waitForMail } from '../harness.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge } from '../support/nginx.js';

/**
 * An operator deletes a tenant, against the real API, worker, stand-in instance and backup storage: the
 * instance goes through its deletion workflow (final backup first, kept), the tenant is gone for its
 * members, hidden from the admin list unless asked for, its subscription ended, invitations revoked,
 * the owner mailed, the call audited; wrong confirmation, support and tenant users are refused; asking
 * again is safe.
 */

let edge: PlatformEdge;
let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;
let member: TestUser;
let instance: InstanceDto;
let tenantName: string;

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({ env: { ...edge.env, PROVISION_FROM_TEMPLATE: 'false' } });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  [admin, support, owner, member] = await Promise.all([
    createUser(h, { label: 'tdel-admin', verify: 'direct', platformRole: 'admin' }),
    createUser(h, { label: 'tdel-support', verify: 'direct', platformRole: 'support' }),
    createUser(h, { label: 'tdel-owner' }),
    createUser(h, { label: 'tdel-member', verify: 'direct' }),
  ]);
  await joinTenant(h, owner, member, 'member');
  const [tenant] = await h.platform.db.select().from(tenants).where(eq(tenants.id, owner.tenantId));
  tenantName = tenant?.name ?? '';
  // A paying manual-provider tenant, so the deletion has a subscription to end.
  await h.platform.db
    .update(billingAccounts)
    .set({ provider: 'manual', status: 'active', statusSince: new Date() })
    .where(eq(billingAccounts.tenantId, owner.tenantId));
}, 90_000);

afterAll(async () => {
  if (instance) {
    // A failed assertion may leave the instance: the normal deletion removes it.
    const current = await new InstancesRepository(h.platform.db).findById(instance.id);
    if (current && current.status !== 'deleted' && current.status !== 'deleting') {
      await h.platform.db.update(tenants).set({ deletedAt: null }).where(eq(tenants.id, owner.tenantId));
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

const deleteUrl = () => `/api/v1/admin/tenants/${owner.tenantId}/delete`;
const listIds = async (query: string) => {
  const res = await call(h.app, 'GET', `/api/v1/admin/tenants?${query}`, { client: support });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: { id: string; deletedAt: string | null }[] }).items;
};
const enforcementDeps = () => ({ ...h.platform, log: h.app.log });

describe('deleting a tenant', () => {
  it('refuses support, tenant users and a wrong confirmation, and changes nothing then', async () => {
    instance = await createInstance(h, owner, { version: '18.0' });
    instance = await waitForStatus(h, owner, instance.id, ['running', 'failed'], 90_000);
    expect(instance.status, instance.lastError ?? '').toBe('running');
    const invited = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/invitations`, {
      client: owner,
      body: { email: `tdel-invitee-${Date.now()}@example.com`, role: 'member' },
    });
    expect(invited.statusCode, invited.body).toBeLessThan(300);

    const body = { reason: 'customer asked to close the account', confirmName: tenantName };
    expect((await call(h.app, 'POST', deleteUrl(), { client: support, body })).statusCode).toBe(403);
    expect((await call(h.app, 'POST', deleteUrl(), { client: owner, body })).statusCode).toBe(403);
    const mismatch = await call(h.app, 'POST', deleteUrl(), { client: admin, body: { ...body, confirmName: `${tenantName}x` } });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().code).toBe('confirmation_mismatch');
    expect((await call(h.app, 'POST', deleteUrl(), { client: admin, body: { confirmName: tenantName } })).statusCode).toBe(400);
    const missing = `/api/v1/admin/tenants/${crypto.randomUUID()}/delete`;
    expect((await call(h.app, 'POST', missing, { client: admin, body })).statusCode).toBe(404);

    const [tenant] = await h.platform.db.select().from(tenants).where(eq(tenants.id, owner.tenantId));
    expect(tenant?.deletedAt).toBeNull();
    expect((await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}`, { client: member })).statusCode).toBe(200);
  }, 120_000);

  it('deletes: final backup kept, instance deleted, gone for members, hidden from the list, audited; again is safe', async () => {
    const body = { reason: 'customer asked to close the account', confirmName: tenantName };
    const res = await call(h.app, 'POST', deleteUrl(), { client: admin, body });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      tenantId: owner.tenantId,
      firstRequest: true,
      subscription: 'canceled',
      instances: [instance.slug],
      revokedInvitations: 1,
    });

    // Gone for its members: every tenant-scoped route answers as for a missing tenant.
    for (const client of [owner, member]) {
      expect((await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}`, { client })).statusCode).toBe(404);
      const mine = await call(h.app, 'GET', '/api/v1/tenants', { client });
      expect(mine.json().map((t: { id: string }) => t.id)).not.toContain(owner.tenantId);
    }
    expect((await call(h.app, 'GET', `/api/v1/instances/${instance.id}`, { client: owner })).statusCode).toBe(404);
    const create = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
      client: owner,
      body: { name: 'Another', slug: `tdel-${Date.now().toString(36)}` },
    });
    expect(create.statusCode).toBe(404);

    // Hidden from the admin list by default, shown with the filter; the detail says so.
    expect((await listIds(`q=${encodeURIComponent(owner.email)}`)).map((t) => t.id)).not.toContain(owner.tenantId);
    const deleted = await listIds(`q=${encodeURIComponent(owner.email)}&deleted=true`);
    expect(deleted).toEqual([expect.objectContaining({ id: owner.tenantId, deletedAt: expect.any(String) })]);
    const detail = await call(h.app, 'GET', `/api/v1/admin/tenants/${owner.tenantId}`, { client: support });
    expect(detail.json().deletion).toMatchObject({ reason: body.reason });

    // The instance's deletion workflow took a final backup first; the backup is kept after the instance is gone.
    await waitFor(
      async () => (await new InstancesRepository(h.platform.db).findById(instance.id))?.status === 'deleted',
      90_000,
      'instance deleted',
    );
    const finals = await h.platform.db.select().from(backups).where(eq(backups.instanceId, instance.id));
    expect(finals.map((b) => [b.kind, b.status])).toEqual([['final', 'completed']]);
    expect(finals[0]?.keepUntil?.getTime()).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    expect(await h.platform.backupStorage.head(finals[0]?.storageKey ?? '')).not.toBeNull();

    const [account] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId));
    expect(account?.status).toBe('canceled');
    // MRR and churn see the cancellation.
    const changes = await h.platform.db
      .select()
      .from(subscriptionChanges)
      .where(eq(subscriptionChanges.tenantId, owner.tenantId))
      .orderBy(desc(subscriptionChanges.at));
    expect(changes[0]).toMatchObject({ status: 'canceled', monthlyAmount: 0 });
    const open = await h.platform.db.select().from(invitations).where(eq(invitations.tenantId, owner.tenantId));
    // The member's accepted invitation stays as it was; the pending one is revoked.
    expect(open.filter((i) => i.acceptedAt === null && i.revokedAt === null)).toEqual([]);
    const mail = await waitForMail(h.app, owner.email, 'deleted by the platform operator');
    expect(mail.text).toContain(body.reason);

    // Billing enforcement leaves it alone (its subscription is canceled: without the rule it would suspend it).
    expect(await enforceTenant(enforcementDeps(), owner.tenantId)).toBe('tenant deleted');
    await enforceAll(enforcementDeps());
    const [after] = await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId));
    expect(after?.access).toBe(account?.access);

    // Asking again is safe: it only resumes the (finished) work.
    const again = await call(h.app, 'POST', deleteUrl(), { client: admin, body });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ firstRequest: false, instances: [], revokedInvitations: 0 });
    const [tenant] = await h.platform.db.select().from(tenants).where(eq(tenants.id, owner.tenantId));
    expect(tenant?.deletionReason).toBe(body.reason);
    // Suspension no longer applies to it.
    expect((await call(h.app, 'POST', `/api/v1/admin/tenants/${owner.tenantId}/suspend`, { client: admin, body }))?.statusCode).toBe(409);

    const rows = await h.platform.db
      .select()
      .from(auditLog)
      .where(
        and(or(eq(auditLog.tenantId, owner.tenantId), eq(auditLog.targetId, owner.tenantId)), eq(auditLog.action, 'admin.delete_tenant')),
      );
    expect(rows.map((r) => [r.actorId, r.result])).toEqual(
      expect.arrayContaining([
        [admin.userId, 'success'],
        [admin.userId, 'success'],
        [admin.userId, 'failure'],
        [support.userId, 'failure'],
      ]),
    );
    expect(rows.find((r) => r.result === 'success')?.details).toMatchObject({ reason: body.reason, subscription: 'canceled' });
  }, 180_000);

  it('finishes a deletion that a crash cut short after marking the tenant (the scheduled enforcement sweeps)', async () => {
    const crashed = await createUser(h, { label: 'tdel-crash' });
    let orphan = await createInstance(h, crashed, { version: '18.0' });
    orphan = await waitForStatus(h, crashed, orphan.id, ['running', 'failed'], 90_000);
    // The crash: the tenant is marked deleted, and nothing after that ran.
    expect(await new TenantsRepository(h.platform.db).markDeleted(crashed.tenantId, 'crash test')).not.toBeNull();
    expect((await new InstancesRepository(h.platform.db).findById(orphan.id))?.status).toBe(orphan.status);

    const result = await enforceAll(enforcementDeps());
    expect(result.deletionsFinished).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await new InstancesRepository(h.platform.db).findById(orphan.id))?.status === 'deleted', 90_000, 'deleted');
    // Its final backup was taken, as with a deletion that ran to its end.
    const kept = await h.platform.db.select().from(backups).where(eq(backups.instanceId, orphan.id));
    expect(kept.some((b) => b.kind === 'final' && b.status === 'completed')).toBe(true);
  }, 180_000);
});
