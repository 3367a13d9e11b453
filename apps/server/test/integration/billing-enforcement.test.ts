import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { backups } from '../../src/backups/backups.tables.js';
import { billingAccounts, type SubscriptionStatus } from '../../src/billing/billing.tables.js';
import { ENFORCE_TENANT_JOB } from '../../src/billing/enforcement.js';
import { restartingForWorkers } from '../../src/billing/owner-mail.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { enqueueInstanceJob } from '../../src/instances/instance-jobs.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { call, createUser, type Harness, startHarness, type TestUser, waitForMail } from '../harness.js';
import { createInstance, type InstanceDto, leftovers, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../support/nginx.js';

/**
 * The entitlement engine on real instances: the real worker applies what a subscription allows to
 * stand-in Odoo containers, and a private nginx serves what the tenant's customers would see.
 */

const GRACE_SECONDS = 2;
const RETENTION_SECONDS = 4;

let edge: PlatformEdge;
let h: Harness;
let owner: TestUser;
let instance: InstanceDto;

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({
    env: {
      ...edge.env,
      PROVISION_FROM_TEMPLATE: 'false',
      BILLING_GRACE_SECONDS: String(GRACE_SECONDS),
      BILLING_RETENTION_SECONDS: String(RETENTION_SECONDS),
    },
    // No schedulers: the test enqueues each enforcement itself, as BillingService does after a change.
    workerOptions: { maintenance: false },
  });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  owner = await createUser(h, { label: 'billing-enforce' });
}, 60_000);

afterAll(async () => {
  // Whatever a failed assertion left behind goes through the normal deletion.
  if (instance && owner) {
    const current = await new InstancesRepository(h.platform.db).findById(instance.id);
    if (current && current.status !== 'deleted' && current.status !== 'deleting') {
      await call(h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner });
    }
    await waitUntil(async () => (await new InstancesRepository(h.platform.db).findById(instance.id))?.status === 'deleted', 60_000).catch(
      () => undefined,
    );
  }
  await h?.close();
  await edge?.stop();
}, 90_000);

const get = (path = '/web/login') => request(edge.httpPort, `${instance.slug}.localhost:${edge.httpPort}`, path);

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

/** Sets the subscription as a provider event would (the tenant's account row), `secondsAgo` since the change. */
async function setSubscription(status: SubscriptionStatus, secondsAgo = 0) {
  await h.platform.db
    .update(billingAccounts)
    .set({ status, statusSince: new Date(Date.now() - secondsAgo * 1000) })
    .where(eq(billingAccounts.tenantId, owner.tenantId));
}

/** Enqueues the tenant's enforcement as BillingService does, and waits for the real worker to run it. */
async function enforce() {
  const job = await h.platform.queues.maintenance.add(
    ENFORCE_TENANT_JOB,
    { tenantId: owner.tenantId },
    { jobId: `enforce-test-${Date.now()}` },
  );
  await waitUntil(async () => ['completed', 'failed'].includes(await job.getState()), 30_000, 'enforcement job');
  const done = await h.platform.queues.maintenance.getJob(job.id ?? '');
  expect(done?.failedReason ?? null).toBeNull();
  return done?.returnvalue as { result: string };
}

const account = async () => (await h.platform.db.select().from(billingAccounts).where(eq(billingAccounts.tenantId, owner.tenantId)))[0];

const auditActions = async (action: string) =>
  h.platform.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, owner.tenantId), eq(auditLog.action, action)));

describe('billing enforcement on real instances', () => {
  it('suspends a past_due tenant after the grace period (stopped, suspended page, 402) and resumes it once paid', async () => {
    instance = await createInstance(h, owner, { version: '18.0' });
    instance = await waitForStatus(h, owner, instance.id, ['running', 'failed']);
    expect(instance.status, instance.lastError ?? '').toBe('running');
    expect(instance.suspended).toBe(false);
    expect((await get()).body).toContain('stand-in');

    // Still within the grace period: nothing happens to the instance.
    await setSubscription('past_due');
    expect((await enforce()).result).toBe('full → grace');
    expect((await account())?.access).toBe('grace');
    expect((await get()).status).toBe(200);

    // Past the grace period: suspended.
    await setSubscription('past_due', GRACE_SECONDS + 5);
    expect((await enforce()).result).toBe('grace → suspended');
    const stopped = await waitForStatus(h, owner, instance.id, ['stopped'], 60_000);
    expect(stopped.suspended).toBe(true);
    expect(stopped.desiredState).toBe('running'); // the owner's wish is kept for the resumption
    const page = await get();
    expect(page.status).toBe(503);
    expect(page.body).toContain('This instance is suspended');
    expect(page.body).not.toContain('stand-in');
    const [container] = await h.platform.runtime.listManagedContainers({ 'saas.instance.id': instance.id });
    expect(container?.state).not.toBe('running');
    expect(await auditActions('billing.suspended')).toHaveLength(1);
    await waitForMail(h.app, owner.email, 'is suspended');

    // Repeating the enforcement changes nothing and mails nothing more.
    expect((await enforce()).result).toBe('unchanged (suspended)');
    expect(await auditActions('billing.suspended')).toHaveLength(1);

    // The tenant cannot bring it back, nor create another one.
    for (const path of ['start', 'restart']) {
      const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/${path}`, { client: owner });
      expect(res.statusCode, res.body).toBe(402);
      expect(res.json().code).toBe('tenant_suspended');
    }
    const create = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
      client: owner,
      body: { name: 'Another', slug: `another-${Date.now().toString(36)}` },
    });
    expect(create.statusCode, create.body).toBe(402);
    expect(create.json().code).toBe('tenant_suspended');

    // A paid invoice, applied as a provider event or a recorded payment is (BillingService.apply): the account
    // is active again, the service enqueues the enforcement, and the instance runs and answers through the edge.
    const paid = await h.platform.billing.apply(
      {
        kind: 'invoice',
        tenant: { tenantId: owner.tenantId, customerId: null },
        subscriptionId: null,
        outcome: 'paid',
        invoice: {
          providerInvoiceId: `manual-${instance.id}`,
          number: null,
          status: 'paid',
          currency: 'eur',
          amountDue: 2900,
          amountPaid: 2900,
          hostedUrl: null,
          pdfUrl: null,
          periodStart: null,
          periodEnd: null,
          paidAt: new Date(),
        },
      },
      new Date(),
      { eventId: null, actorId: null },
    );
    expect(paid.result).toBe('past_due → active (paid)');
    await waitUntil(async () => (await account())?.access === 'full', 30_000, 'the resumption');
    const resumed = await waitForStatus(h, owner, instance.id, ['running'], 90_000);
    expect(resumed.suspended).toBe(false);
    await waitUntil(async () => (await get()).status === 200, 30_000, 'Odoo through the edge');
    expect((await get()).body).toContain('stand-in');
    expect(await auditActions('billing.resumed')).toHaveLength(1);
    await waitForMail(h.app, owner.email, 'is running again');
  }, 240_000);

  it('keeps an owner-stopped instance stopped on resumption, with the stopped page again', async () => {
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/stop`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['stopped'], 60_000);
    expect((await get()).body).toContain('stopped');

    await setSubscription('unpaid');
    expect((await enforce()).result).toBe('full → suspended');
    await waitUntil(async () => (await get()).body.includes('This instance is suspended'), 30_000, 'the suspended page');

    await setSubscription('active');
    expect((await enforce()).result).toBe('suspended → full');
    await waitUntil(async () => !(await get()).body.includes('This instance is suspended'), 30_000, 'the stopped page');
    const page = await get();
    expect(page.status).toBe(503);
    expect(page.body).toContain('stopped');
    const after = await waitForStatus(h, owner, instance.id, ['stopped']);
    expect(after.suspended).toBe(false);
    expect(after.desiredState).toBe('stopped');
  }, 120_000);

  it('restarts a running instance, announced, when a plan change moves its Odoo worker count; resizes live otherwise', async () => {
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/start`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['running'], 90_000);
    const repo = new InstancesRepository(h.platform.db);
    const container = async () => (await h.platform.runtime.listManagedContainers({ 'saas.instance.id': instance.id }))[0];
    const restarts = async () => (await repo.events(instance.id)).filter((e) => e.reason.startsWith('restarting to apply the new plan'));
    const before = await container();
    const limits = (await repo.findById(instance.id))?.limits;
    if (!before || !limits) throw new Error('no running container');
    expect(before.labels['saas.odoo.workers']).toBe(String(limits.workers));

    // Memory only: applied in place, no restart.
    await repo.update(instance.id, { limits: { ...limits, memoryMb: limits.memoryMb + 64 } });
    await enqueueInstanceJob(h.platform.queues, instance.id, 'update-limits', null);
    await waitUntil(async () => (await h.platform.runtime.inspectContainer(before.name)) !== null, 10_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await restarts()).toHaveLength(0);
    expect((await container())?.id).toBe(before.id);

    // A new worker count: announced (event), restarted with the new config, and back through the edge.
    const workers = limits.workers + 1;
    // What the plan-changed mail names: the running instances whose worker count moves.
    expect(await restartingForWorkers(h.platform.db, owner.tenantId, limits.workers)).toEqual([]);
    expect(await restartingForWorkers(h.platform.db, owner.tenantId, workers)).toEqual([instance.slug]);
    await repo.update(instance.id, { limits: { ...limits, memoryMb: limits.memoryMb + 64, workers } });
    await enqueueInstanceJob(h.platform.queues, instance.id, 'update-limits', null);
    await waitUntil(async () => (await container())?.labels['saas.odoo.workers'] === String(workers), 60_000, 'the restart');
    await waitUntil(async () => (await repo.events(instance.id)).some((e) => e.reason === 'restarted'), 60_000, 'the restart event');
    expect(await restarts()).toHaveLength(1);
    await waitUntil(async () => (await get()).status === 200, 30_000, 'Odoo through the edge');
    const after = await waitForStatus(h, owner, instance.id, ['running']);
    expect(after.limits.workers).toBe(workers);
    expect(after.progress).toBeNull();
  }, 180_000);

  it('deletes a canceled tenant’s instances after the retention period, leaving nothing behind', async () => {
    await setSubscription('canceled');
    expect((await enforce()).result).toBe('full → suspended');
    await waitForStatus(h, owner, instance.id, ['stopped'], 60_000);
    expect((await get()).body).toContain('This instance is suspended');
    await waitForMail(h.app, owner.email, 'has ended');
    // The cancellation's final backup (the retention period is weeks in real life).
    await waitUntil(
      async () => (await h.platform.db.select().from(backups).where(eq(backups.instanceId, instance.id)))[0]?.status === 'completed',
      60_000,
      'the final backup at cancellation',
    );

    await setSubscription('canceled', RETENTION_SECONDS + 1);
    expect((await enforce()).result).toBe('suspended → deleted');
    await waitUntil(
      async () => (await new InstancesRepository(h.platform.db).findById(instance.id))?.status === 'deleted',
      90_000,
      'the deletion',
    );
    expect(await leftovers(h, instance.id)).toEqual([]);
    const gone = await get();
    expect(gone.status).toBe(404);
    expect((await account())?.access).toBe('deleted');
    const [deleted] = await auditActions('billing.instances_deleted');
    expect(deleted?.details).toMatchObject({ instances: [instance.slug] });
    const events = await new InstancesRepository(h.platform.db).events(instance.id);
    expect(events.some((e) => e.reason === 'billing retention ended' && e.actorId === null)).toBe(true);
    await waitForMail(h.app, owner.email, 'were deleted');
    // Final backups: one at the cancellation, one before the deletion, both kept for the retention period.
    const finals = await h.platform.db.select().from(backups).where(eq(backups.instanceId, instance.id));
    expect(finals.map((b) => [b.kind, b.status])).toEqual([
      ['final', 'completed'],
      ['final', 'completed'],
    ]);
    for (const b of finals) expect(b.keepUntil?.getTime()).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    for (const b of finals) expect(await h.platform.backupStorage.head(b.storageKey ?? '')).not.toBeNull();
  }, 180_000);
});
