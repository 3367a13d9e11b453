import { and, eq, isNotNull, isNull, notInArray } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { AuditRepository } from '../audit/audit.repo.js';
import { queueFinalBackups } from '../backups/backup-maintenance.js';
import type { Config } from '../config/config.js';
import type { Db, DbOrTx } from '../db/client.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { publishInstanceUpdate } from '../instances/instance-events.js';
import { enqueueInstanceJob } from '../instances/instance-jobs.js';
import { instances } from '../instances/instances.tables.js';
import { deleteTenantInstances } from '../instances/tenant-instances-deletion.js';
import type { Queues } from '../jobs/queues.js';
import type { MailService } from '../mail/mail.service.js';
import type { MailMessage } from '../mail/mailer.js';
import { tenants } from '../tenants/tenants.tables.js';
import { type AccessState, billingAccounts, type SubscriptionStatus } from './billing.tables.js';
import { billingMail } from './billing-mail.js';
import { type AccessDecision, evaluateAccess, evaluateSubscription } from './entitlements.js';
import { mailOwners } from './owner-mail.js';

/** Re-evaluates one tenant (enqueued by BillingService after every change): `{ tenantId }`. */
export const ENFORCE_TENANT_JOB = 'billing-enforce-tenant';
/** Re-evaluates every tenant (scheduled): grace and retention end with no event to announce it. */
export const ENFORCE_ALL_JOB = 'billing-enforce';

export interface EnforcementDeps {
  config: Config;
  db: Db;
  queues: Queues;
  mail: MailService;
  redis: Redis;
  log: FastifyBaseLogger;
}

/** Instance states a workflow is not already taking away. */
const LIVE_NOT_LEAVING = ['deleted', 'deleting'] as const;
const ENDED: SubscriptionStatus[] = ['canceled', 'incomplete_expired'];

/**
 * Brings a tenant's instances in line with what its subscription allows now. Idempotent and safe after
 * a crash half-way: the instances are changed (and their jobs queued) first, and the new access is
 * recorded last, together with its audit row and mail — so a run that dies before that is simply
 * repeated by the next one, and two concurrent runs record (and mail) the change once.
 */
export async function enforceTenant(deps: EnforcementDeps, tenantId: string, operator?: OperatorChange): Promise<string> {
  // One run per tenant at a time (the lock is held by a transaction of its own; the work commits step by
  // step beside it), so two runs that read different states cannot interleave their instance changes.
  return deps.db.transaction(async (lock) => {
    await lockForTransaction(lock, `billing-enforce:${tenantId}`);
    // Under the lock, so no scheduled run applies the operator's change first (with the billing mail).
    if (operator) await operator.apply();
    return enforceTenantLocked(deps, tenantId, Boolean(operator));
  });
}

/**
 * An operator's suspension or resumption (admin dashboard), committed by `apply` with its own mail to the
 * owner; the run that follows applies it to the instances and sends no billing mail.
 */
export interface OperatorChange {
  apply(): Promise<void>;
}

async function enforceTenantLocked(deps: EnforcementDeps, tenantId: string, byOperator: boolean): Promise<string> {
  const [row] = await deps.db
    .select({ account: billingAccounts, deletedAt: tenants.deletedAt })
    .from(billingAccounts)
    .innerJoin(tenants, eq(tenants.id, billingAccounts.tenantId))
    .where(eq(billingAccounts.tenantId, tenantId));
  if (!row) return 'no billing account';
  // An operator deleted the tenant: its deletion took its instances away; billing no longer acts on it or mails it.
  if (row.deletedAt) return 'tenant deleted';
  const account = row.account;
  const now = new Date();
  const decision = evaluateAccess(account, now, deps.config.billing);
  if (decision.access === account.access) return `unchanged (${account.access})`;
  const from = account.access;
  const to = decision.access;
  // The operator's own change, or one a crash left for a later run: the operator's mail was sent with it.
  const operatorSuspension =
    to === 'suspended' &&
    account.operatorSuspendedAt !== null &&
    evaluateSubscription(account, now, deps.config.billing).access !== 'suspended';
  if ((byOperator && to !== 'deleted') || operatorSuspension) return applyOperatorChange(deps, tenantId, from, to);

  let details: Record<string, unknown> = { from, to, status: account.status };
  let action: string | null = null;
  let mail: ((owner: string, tenant: string, link: string) => MailMessage) | null = null;
  if (to === 'suspended') {
    const affected = await setSuspended(deps, tenantId, true);
    // A cancellation: each instance's final backup now, kept for the retention period (docs/backups.md).
    if (ENDED.includes(account.status)) await queueFinalBackups(deps, tenantId, account.statusSince);
    action = 'billing.suspended';
    details = { ...details, instances: affected, deletesAt: deadlineIso(decision, account.status) };
    const deletesAt = account.status === 'past_due' ? null : decision.deadline;
    mail = (owner, tenant, link) =>
      ENDED.includes(account.status)
        ? billingMail.canceled(owner, tenant, deletesAt, link)
        : billingMail.suspended(owner, tenant, deletesAt, link);
  } else if (to === 'deleted') {
    const deleted = await deleteTenantInstances(deps, tenantId, 'billing retention ended');
    action = 'billing.instances_deleted';
    details = { ...details, instances: deleted };
    mail = (owner, tenant, link) => billingMail.deleted(owner, tenant, deleted.length, link);
  } else if (from === 'suspended') {
    const affected = await setSuspended(deps, tenantId, false);
    action = 'billing.resumed';
    details = { ...details, instances: affected };
    mail = (owner, tenant, link) => billingMail.resumed(owner, tenant, link);
  } else if (from === 'deleted') {
    // Paying again after the deletion: nothing to start, but the tenant may create instances again.
    action = 'billing.resumed';
  }
  // full ↔ grace changes nothing on the instances; the payment-failed mail is BillingService's.

  const recorded = await deps.mail.transaction(async (tx, queueMail) => {
    const moved = await tx
      .update(billingAccounts)
      .set({ access: to, accessChangedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccounts.access, from)))
      .returning({ tenantId: billingAccounts.tenantId });
    if (moved.length === 0) return false; // another run recorded it first
    if (action) {
      await new AuditRepository(tx).record({
        actorId: null,
        actorEmail: null,
        tenantId,
        action,
        targetType: 'tenant',
        targetId: tenantId,
        ip: null,
        result: 'success',
        requestId: null,
        details,
      });
    }
    if (mail) await mailOwners(tx, queueMail, deps.config, tenantId, mail);
    return true;
  });
  if (recorded) deps.log.info({ tenantId, from, to, status: account.status }, 'billing access changed');
  return recorded ? `${from} → ${to}` : `unchanged (${to}, recorded by another run)`;
}

/** An operator's suspension or resumption reaches the instances; audited as the enforcement's effect, mailed by the operator's change. */
async function applyOperatorChange(deps: EnforcementDeps, tenantId: string, from: AccessState, to: AccessState): Promise<string> {
  const affected = to === 'suspended' || from === 'suspended' ? await setSuspended(deps, tenantId, to === 'suspended') : 0;
  const recorded = await deps.db.transaction(async (tx) => {
    const moved = await tx
      .update(billingAccounts)
      .set({ access: to, accessChangedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccounts.access, from)))
      .returning({ tenantId: billingAccounts.tenantId });
    if (moved.length === 0) return false;
    await new AuditRepository(tx).record({
      actorId: null,
      actorEmail: null,
      tenantId,
      action: to === 'suspended' ? 'tenant.operator_suspension_applied' : 'tenant.operator_resumption_applied',
      targetType: 'tenant',
      targetId: tenantId,
      ip: null,
      result: 'success',
      requestId: null,
      details: { from, to, instances: affected },
    });
    return true;
  });
  if (recorded) deps.log.info({ tenantId, from, to }, 'operator suspension applied');
  return recorded ? `${from} → ${to}` : `unchanged (${to}, recorded by another run)`;
}

/**
 * Every tenant whose access no longer matches its subscription; one failing tenant does not stop the others.
 * Then the instances of deleted tenants that a crash left behind.
 */
export async function enforceAll(deps: EnforcementDeps): Promise<{ changed: number; failed: number; deletionsFinished: number }> {
  const accounts = await deps.db
    .select({
      tenantId: billingAccounts.tenantId,
      status: billingAccounts.status,
      statusSince: billingAccounts.statusSince,
      provider: billingAccounts.provider,
      trialEndsAt: billingAccounts.trialEndsAt,
      operatorSuspendedAt: billingAccounts.operatorSuspendedAt,
      access: billingAccounts.access,
    })
    .from(billingAccounts)
    // Deleted tenants are left alone (their deletion already took their instances away).
    .innerJoin(tenants, and(eq(tenants.id, billingAccounts.tenantId), isNull(tenants.deletedAt)));
  const now = new Date();
  let changed = 0;
  let failed = 0;
  for (const account of accounts) {
    if (evaluateAccess(account, now, deps.config.billing).access === account.access) continue;
    try {
      await enforceTenant(deps, account.tenantId);
      changed++;
    } catch (err) {
      failed++;
      deps.log.error({ tenantId: account.tenantId, err: err instanceof Error ? err.message : String(err) }, 'billing enforcement failed');
    }
  }
  return { changed, failed, deletionsFinished: await finishTenantDeletions(deps) };
}

/**
 * An operator's tenant deletion marks the tenant first and queues its instances' deletions after: a crash in
 * between would leave instances running for a tenant nobody can reach. This sweep (with the scheduled
 * enforcement) sends them on their way; it is what repeating the deletion would do.
 */
async function finishTenantDeletions(deps: EnforcementDeps): Promise<number> {
  const leftovers = await deps.db
    .selectDistinct({ tenantId: instances.tenantId })
    .from(instances)
    .innerJoin(tenants, eq(tenants.id, instances.tenantId))
    .where(and(isNotNull(tenants.deletedAt), notInArray(instances.status, [...LIVE_NOT_LEAVING])));
  for (const { tenantId } of leftovers) {
    await deleteTenantInstances(deps, tenantId, 'tenant deleted by the platform operator');
    deps.log.warn({ tenantId }, 'finished the deletion of a deleted tenant’s instances');
  }
  return leftovers.length;
}

/**
 * Marks (or unmarks) every live instance of the tenant as suspended, then asks the worker to converge
 * each: a suspended instance is stopped and its address serves the suspended page; a resumed one goes
 * back to what its owner wanted (running, or stopped). Converging is queued for every instance each
 * time, so a run repeated after a crash between the update and the queueing still reaches them all.
 */
async function setSuspended(deps: EnforcementDeps, tenantId: string, suspended: boolean): Promise<number> {
  const live = await deps.db
    .update(instances)
    .set({ suspended, updatedAt: new Date() })
    .where(and(eq(instances.tenantId, tenantId), notInArray(instances.status, [...LIVE_NOT_LEAVING])))
    .returning({ id: instances.id });
  for (const { id } of live) {
    await enqueueInstanceJob(deps.queues, id, 'converge', null);
    await publishInstanceUpdate(deps.redis, { id }).catch(() => undefined);
  }
  return live.length;
}

function deadlineIso(decision: AccessDecision, status: SubscriptionStatus) {
  return status === 'past_due' ? null : (decision.deadline?.toISOString() ?? null);
}

/**
 * What the tenant may do now, for the API's refusals: the rules applied to its account at this moment,
 * and the access the enforcement last recorded (a suspension stays until it is lifted). Null without an
 * account (tenants made before billing, in tests): nothing is refused then.
 */
export async function currentAccess(
  db: DbOrTx,
  config: Pick<Config, 'billing'>,
  tenantId: string,
): Promise<{ decision: AccessDecision; recorded: AccessState; operatorSuspended: boolean } | null> {
  const [account] = await db
    .select({
      status: billingAccounts.status,
      statusSince: billingAccounts.statusSince,
      provider: billingAccounts.provider,
      trialEndsAt: billingAccounts.trialEndsAt,
      operatorSuspendedAt: billingAccounts.operatorSuspendedAt,
      access: billingAccounts.access,
    })
    .from(billingAccounts)
    .where(eq(billingAccounts.tenantId, tenantId));
  if (!account) return null;
  return {
    decision: evaluateAccess(account, new Date(), config.billing),
    recorded: account.access,
    // Whose suspension it is, so a refusal tells the owner whether paying helps.
    operatorSuspended: account.operatorSuspendedAt !== null,
  };
}
