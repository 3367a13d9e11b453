import { eq } from 'drizzle-orm';
import { AuditRepository } from '../audit/audit.repo.js';
import type { Config } from '../config/config.js';
import type { DbOrTx } from '../db/client.js';
import { isUuid } from '../http/access.js';
import { tenants } from '../tenants/tenants.tables.js';
import type { SubscriptionStatus } from './billing.tables.js';
import { type BillingAccountRow, BillingAccountsRepository, recordSubscriptionChange } from './billing-accounts.repo.js';
import { billingMail } from './billing-mail.js';
import type { BillingChange, TenantRef } from './billing-provider.js';
import { InvoicesRepository } from './invoices.repo.js';
import { type MailBuilder, mailOwners, mailPlanChange, type QueueMail } from './owner-mail.js';
import { PlansRepository } from './plans.repo.js';

export interface ApplySource {
  /** The provider event behind the change (null: an admin's manual action). */
  eventId: string | null;
  actorId: string | null;
  /** Why (manual actions): kept in the audit row, and as the note of a recorded invoice. */
  reason?: string;
}

/** What applying a change did: the caller runs `afterApply` once the transaction committed. */
export interface Applied {
  tenantId: string | null;
  result: string;
  /** Something changed: the tenant's enforcement runs again. */
  changed: boolean;
  /** The plan changed: the tenant's live instances get its limits. */
  planChanged: boolean;
}

/** Statuses a payment brings back to active (a Stripe subscription once canceled stays canceled). */
const PAYABLE: SubscriptionStatus[] = ['past_due', 'unpaid'];

const money = (amount: number, currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);

/**
 * Applies one BillingChange inside the caller's transaction (BillingService.apply, or the event job that
 * marks the event processed in the same transaction). The account row is locked first, so the changes of
 * one tenant apply one at a time; every change writes its audit row, mail and subscription_changes row here.
 */
export async function applyChange(
  tx: DbOrTx,
  queueMail: QueueMail,
  config: Config,
  change: BillingChange,
  at: Date,
  source: ApplySource,
): Promise<Applied> {
  const none = (result: string, tenantId: string | null = null): Applied => ({ tenantId, result, changed: false, planChanged: false });
  if (change.kind === 'ignored') return none('ignored');
  const accounts = new BillingAccountsRepository(tx);
  const tenantId =
    change.kind === 'customer-deleted' ? await byCustomer(accounts, change.customerId) : await resolveTenant(tx, change.tenant);
  if (!tenantId) return none('unknown tenant');
  const account = await accounts.findForUpdate(tenantId);
  if (!account) return none('no billing account');
  const ctx = new ChangeContext(tx, queueMail, config, account, at, source);

  switch (change.kind) {
    case 'checkout-completed': {
      await accounts.update(tenantId, {
        provider: 'stripe',
        customerId: change.customerId,
        ...(change.subscriptionId ? { subscriptionId: change.subscriptionId } : {}),
      });
      await ctx.audit('billing.checkout_completed', { customerId: change.customerId, subscriptionId: change.subscriptionId });
      return { tenantId, result: 'checkout recorded', changed: true, planChanged: false };
    }
    case 'subscription':
      return applySubscription(ctx, change);
    case 'trial-will-end': {
      await ctx.audit('billing.trial_will_end', { trialEndsAt: change.trialEndsAt?.toISOString() ?? null });
      await ctx.mailOwners((to, name, link) => billingMail.trialEnding(to, name, change.trialEndsAt ?? account.trialEndsAt, link));
      return { tenantId, result: 'trial ending mailed', changed: false, planChanged: false };
    }
    case 'invoice':
      return applyInvoice(ctx, change);
    case 'customer-deleted': {
      const statusChanged = account.status !== 'canceled';
      await accounts.update(tenantId, {
        customerId: null,
        subscriptionId: null,
        status: 'canceled',
        ...(statusChanged ? { statusSince: at } : {}),
      });
      if (statusChanged) await recordSubscriptionChange(tx, tenantId, { at, currency: config.billing.currency });
      await ctx.audit('billing.customer_deleted', { from: account.status, to: 'canceled' });
      return { tenantId, result: 'customer deleted', changed: true, planChanged: false };
    }
  }
}

async function applySubscription(ctx: ChangeContext, change: Extract<BillingChange, { kind: 'subscription' }>): Promise<Applied> {
  const { tx, account, at } = ctx;
  const tenantId = account.tenantId;
  // Out of order: an older state than the newest applied is dropped (equal times apply).
  if (account.providerUpdatedAt && at.getTime() < account.providerUpdatedAt.getTime()) {
    return { tenantId, result: 'stale', changed: false, planChanged: false };
  }
  const plans = new PlansRepository(tx);
  const price = change.providerPriceId ? await plans.priceByProviderId(change.providerPriceId) : null;
  const [tenant] = await tx.select({ planCode: tenants.planCode }).from(tenants).where(eq(tenants.id, tenantId));
  const planChanged = price !== null && price.planCode !== tenant?.planCode;
  const statusChanged = change.status !== account.status;
  // The manual provider's changes carry the account's own ids; only Stripe's are stored.
  const ids = account.provider === 'stripe' ? { customerId: change.customerId, subscriptionId: change.subscriptionId } : {};
  const updated = await new BillingAccountsRepository(tx).update(tenantId, {
    ...ids,
    status: change.status,
    ...(price ? { priceId: price.id } : {}),
    quantity: change.quantity,
    trialEndsAt: change.trialEndsAt,
    currentPeriodEnd: change.currentPeriodEnd,
    cancelAtPeriodEnd: change.cancelAtPeriodEnd,
    providerUpdatedAt: at,
    ...(statusChanged ? { statusSince: at } : {}),
  });
  if (planChanged && price)
    await tx.update(tenants).set({ planCode: price.planCode, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
  const amountChanged = updated.priceId !== account.priceId || updated.quantity !== account.quantity;
  if (statusChanged || planChanged || amountChanged) {
    await recordSubscriptionChange(tx, tenantId, { at, currency: ctx.config.billing.currency });
  }
  if (statusChanged || planChanged) {
    await ctx.audit(statusChanged ? 'billing.status_changed' : 'billing.plan_changed', {
      from: account.status,
      to: change.status,
      ...(planChanged ? { planCode: price?.planCode } : {}),
      cancelAtPeriodEnd: change.cancelAtPeriodEnd,
    });
  }
  await mailForStatus(ctx, change.status, planChanged, price?.planCode ?? null);
  const changed = statusChanged || planChanged || amountChanged || updated.cancelAtPeriodEnd !== account.cancelAtPeriodEnd;
  return { tenantId, result: changed ? `${account.status} → ${change.status}` : 'unchanged', changed, planChanged };
}

/**
 * The status mails that are BillingService's (the enforcement job mails suspension, resumption and
 * deletion when access changes): a started subscription or plan change, and a manual past_due
 * (Stripe's past_due comes with invoice.payment_failed, which mails already).
 */
async function mailForStatus(ctx: ChangeContext, status: SubscriptionStatus, planChanged: boolean, planCode: string | null) {
  const { account, source } = ctx;
  const started =
    (status === 'active' || status === 'trialing') &&
    ['none', 'incomplete', 'trialing'].includes(account.status) &&
    status !== account.status;
  if (planChanged || started) {
    const [tenant] = await ctx.tx.select({ planCode: tenants.planCode }).from(tenants).where(eq(tenants.id, account.tenantId));
    const code = planCode ?? tenant?.planCode ?? '';
    const plan = await new PlansRepository(ctx.tx).find(code);
    if (plan) await mailPlanChange(ctx.tx, ctx.queueMail, ctx.config, account.tenantId, plan);
  } else if (status === 'past_due' && account.status !== 'past_due' && source.eventId === null) {
    const graceEnd = new Date(ctx.at.getTime() + ctx.config.billing.graceSeconds * 1000);
    await ctx.mailOwners((to, tenant, link) => billingMail.paymentFailed(to, tenant, graceEnd, link));
  }
}

async function applyInvoice(ctx: ChangeContext, change: Extract<BillingChange, { kind: 'invoice' }>): Promise<Applied> {
  const { tx, account, at, config } = ctx;
  const tenantId = account.tenantId;
  const facts = change.invoice;
  const repo = new InvoicesRepository(tx);
  const existing = await repo.findByProviderId(facts.providerInvoiceId);
  // A late "finalized" (Stripe does not order its deliveries) never turns a paid invoice back to open or unpaid.
  const paidAlready = existing?.status === 'paid' && change.outcome !== 'paid' ? existing : null;
  const invoice = await repo.upsert({
    tenantId,
    provider: account.provider,
    providerInvoiceId: facts.providerInvoiceId,
    number: facts.number,
    status: paidAlready ? 'paid' : facts.status,
    currency: facts.currency,
    amountDue: facts.amountDue,
    amountPaid: paidAlready ? paidAlready.amountPaid : facts.amountPaid,
    hostedUrl: facts.hostedUrl,
    pdfUrl: facts.pdfUrl,
    periodStart: facts.periodStart,
    periodEnd: facts.periodEnd,
    paidAt: change.outcome === 'paid' ? (facts.paidAt ?? at) : (existing?.paidAt ?? null),
    paymentFailedAt: change.outcome === 'payment-failed' ? at : change.outcome === 'paid' ? null : (existing?.paymentFailedAt ?? null),
    note: ctx.source.reason ?? existing?.note ?? null,
  });
  const details = {
    invoiceId: invoice.id,
    providerInvoiceId: facts.providerInvoiceId,
    amountDue: facts.amountDue,
    amountPaid: facts.amountPaid,
  };
  if (change.outcome === 'finalized') {
    await ctx.audit('billing.invoice_finalized', details);
    return { tenantId, result: 'invoice finalized', changed: false, planChanged: false };
  }
  if (change.outcome === 'payment-failed') {
    const graceEnd = new Date((account.status === 'past_due' ? account.statusSince : at).getTime() + config.billing.graceSeconds * 1000);
    await ctx.audit('billing.payment_failed', details);
    await ctx.mailOwners((to, tenant, link) => billingMail.paymentFailed(to, tenant, graceEnd, link));
    return { tenantId, result: 'payment failed', changed: true, planChanged: false };
  }
  await ctx.audit('billing.invoice_paid', details);
  await ctx.mailOwners((to, tenant, link) => billingMail.paymentReceived(to, tenant, money(facts.amountPaid, facts.currency), link));
  // Paid again: the account is active, unless a newer provider state was applied meanwhile.
  // A manual trial ends when it is paid (Stripe moves its own trials).
  const payable = PAYABLE.includes(account.status) || (account.provider === 'manual' && ['canceled', 'trialing'].includes(account.status));
  const newer = account.providerUpdatedAt && account.providerUpdatedAt.getTime() > at.getTime();
  if (payable && !newer) {
    await new BillingAccountsRepository(tx).update(tenantId, { status: 'active', statusSince: at, providerUpdatedAt: at });
    await recordSubscriptionChange(tx, tenantId, { at, currency: config.billing.currency });
    await ctx.audit('billing.status_changed', { from: account.status, to: 'active', invoiceId: invoice.id });
    return { tenantId, result: `${account.status} → active (paid)`, changed: true, planChanged: false };
  }
  return { tenantId, result: 'invoice paid', changed: true, planChanged: false };
}

/** The locked account and what every branch writes with it: audit rows and mail to the owner. */
class ChangeContext {
  constructor(
    readonly tx: DbOrTx,
    readonly queueMail: QueueMail,
    readonly config: Config,
    readonly account: BillingAccountRow,
    readonly at: Date,
    readonly source: ApplySource,
  ) {}

  audit(action: string, details: Record<string, unknown>) {
    return new AuditRepository(this.tx).record({
      actorId: this.source.actorId,
      actorEmail: null,
      tenantId: this.account.tenantId,
      action,
      targetType: 'tenant',
      targetId: this.account.tenantId,
      ip: null,
      result: 'success',
      requestId: null,
      // jsonb refuses a lone surrogate that text columns would store: the admin's free text is made well-formed.
      details: { ...details, eventId: this.source.eventId, ...(this.source.reason ? { reason: this.source.reason.toWellFormed() } : {}) },
    });
  }

  mailOwners(build: MailBuilder) {
    return mailOwners(this.tx, this.queueMail, this.config, this.account.tenantId, build);
  }
}

/** Our id when the provider echoed it (metadata), else the account of its customer. */
async function resolveTenant(tx: DbOrTx, ref: TenantRef): Promise<string | null> {
  if (isUuid(ref.tenantId)) {
    const [row] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, ref.tenantId));
    if (row) return row.id;
  }
  return ref.customerId ? byCustomer(new BillingAccountsRepository(tx), ref.customerId) : null;
}

const byCustomer = async (accounts: BillingAccountsRepository, customerId: string) =>
  (await accounts.findByCustomer(customerId))?.tenantId ?? null;
