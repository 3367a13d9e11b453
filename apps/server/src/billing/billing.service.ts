import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { badGateway, conflict, invalid, notFound } from '../errors/domain-error.js';
import { enqueueInstanceJob } from '../instances/instance-jobs.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import type { MailService } from '../mail/mail.service.js';
import type { MailMessage } from '../mail/mailer.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import type { BillingDto, InvoiceDto } from './billing.schemas.js';
import { type BillingAccountRow, BillingAccountsRepository, recordSubscriptionChange } from './billing-accounts.repo.js';
import { type Applied, type ApplySource, applyChange } from './billing-apply.js';
import { billingNotices } from './billing-notices.js';
import { type BillingChange, type BillingProvider, BillingProviderError } from './billing-provider.js';
import { ENFORCE_TENANT_JOB } from './enforcement.js';
import { evaluateAccess } from './entitlements.js';
import { InvoicesRepository, toInvoiceDto } from './invoices.repo.js';
import { mailPlanChange } from './owner-mail.js';
import { toPublicPlanDto } from './plan-dto.js';
import { type PlanPriceRow, type PlanRow, PlansRepository } from './plans.repo.js';

/** For the admin's plan changes (PlansService): one subscription_changes row from the account's current state. */
export { recordSubscriptionChange } from './billing-accounts.repo.js';
export type { Applied } from './billing-apply.js';

type QueueMail = (message: MailMessage) => Promise<void>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface BillingDeps {
  db: Db;
  config: Config;
  queues: Queues;
  mail: MailService;
  audit: AuditService;
  billingProvider: BillingProvider | null;
  log: FastifyBaseLogger;
}

const LIVE_SUBSCRIPTION = ['trialing', 'active', 'past_due'];

/** A tenant's subscription: what it sees, how it subscribes, and the one entry that changes its state (`apply`). */
export class BillingService {
  constructor(private readonly deps: BillingDeps) {}

  async get(tenantId: string): Promise<BillingDto> {
    const { db, config } = this.deps;
    const account = await this.account(tenantId);
    const tenant = await new TenantsRepository(db).findById(tenantId);
    if (!tenant) throw notFound('Tenant');
    const plans = new PlansRepository(db);
    const plan = await plans.find(tenant.planCode);
    if (!plan) throw notFound('Plan');
    const price = account.priceId ? await plans.findPrice(account.priceId) : null;
    const now = new Date();
    const decision = evaluateAccess(account, now, config.billing);
    const billable = price && LIVE_SUBSCRIPTION.includes(account.status) && !account.cancelAtPeriodEnd;
    return {
      provider: account.provider,
      plan: toPublicPlanDto(plan, await plans.prices(plan.code)),
      price: price ? { interval: price.interval, currency: price.currency, unitAmount: price.unitAmount } : null,
      status: account.status,
      quantity: account.quantity,
      trialEndsAt: account.trialEndsAt?.toISOString() ?? null,
      currentPeriodEnd: account.currentPeriodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: account.cancelAtPeriodEnd,
      access: decision.access,
      nextInvoice: billable
        ? {
            amount: price.unitAmount * account.quantity,
            currency: price.currency,
            at: (account.currentPeriodEnd ?? account.trialEndsAt)?.toISOString() ?? null,
          }
        : null,
      portalAvailable: this.portalAvailable(account),
      notices: billingNotices(account, decision, now),
    };
  }

  async invoices(tenantId: string): Promise<InvoiceDto[]> {
    return (await new InvoicesRepository(this.deps.db).forTenant(tenantId)).map(toInvoiceDto);
  }

  /**
   * Subscribes to a plan. Stripe: its hosted checkout page (the webhooks then apply the subscription).
   * A free plan, or any plan when Stripe is not configured, is switched to at once.
   */
  async checkout(
    tenantId: string,
    actor: AuthenticatedUser,
    body: { planCode: string; interval: 'month' | 'year' },
  ): Promise<{ url: string }> {
    const { config, db } = this.deps;
    const plans = new PlansRepository(db);
    const plan = await plans.find(body.planCode);
    const tenant = await new TenantsRepository(db).findById(tenantId);
    if (!tenant) throw notFound('Tenant');
    if (!plan || (plan.visibility === 'hidden' && plan.code !== tenant.planCode)) throw notFound('Plan');
    const prices = (await plans.prices(plan.code)).filter((p) => p.active);
    const price = prices.find((p) => p.interval === body.interval) ?? null;
    if (prices.length > 0 && !price) throw invalid('price_unavailable', `The ${plan.name} plan has no ${body.interval}ly price.`);
    const account = await this.account(tenantId);
    const billingPage = `${config.publicUrl}/billing?checkout=success`;
    const provider = this.deps.billingProvider;
    // With Stripe connected, a paid plan always goes through Checkout, manual accounts included (their
    // first checkout moves them to Stripe); without it, the manual provider switches at once.
    if (!price || !provider) {
      if (price && account.provider === 'stripe' && !provider)
        throw conflict('billing_unavailable', 'Stripe is not configured on this platform.');
      if (!price && account.provider === 'stripe' && account.subscriptionId && LIVE_SUBSCRIPTION.includes(account.status)) {
        throw conflict('subscription_exists', 'Cancel the current subscription in the billing portal before moving to a free plan.');
      }
      await this.switchPlan(tenantId, actor.userId, plan, price);
      return { url: billingPage };
    }
    if (account.subscriptionId && LIVE_SUBSCRIPTION.includes(account.status)) {
      throw conflict('subscription_exists', 'This tenant already has a subscription: change its plan in the billing portal.');
    }
    if (!price.providerPriceId) throw conflict('plan_not_synced', `The ${plan.name} plan is not synced to Stripe yet; try again later.`);
    const owner = (await new TenantsRepository(db).members(tenantId)).find((m) => m.role === 'owner');
    const minute = Math.floor(Date.now() / 60_000);
    try {
      const session = await provider.createCheckout({
        tenantId,
        tenantName: tenant.name,
        customerId: account.customerId,
        email: owner?.email ?? actor.email,
        plan,
        price: { ...price, providerPriceId: price.providerPriceId },
        quantity: account.quantity,
        trialDays: hadTrial(account) ? 0 : plan.trialDays,
        successUrl: billingPage,
        cancelUrl: `${config.publicUrl}/billing?checkout=canceled`,
        // A double click within the minute gets the same session; a new attempt after the state changed (a
        // cancellation, say) must not be answered with the earlier, completed one.
        idempotencyKey: `checkout-${tenantId}-${price.id}-${account.statusSince.getTime()}-${minute}`,
      });
      // The customer is known before the webhooks arrive: they find the tenant by it, and the portal opens.
      if (!account.customerId) await new BillingAccountsRepository(db).update(tenantId, { customerId: session.customerId });
      return { url: session.url };
    } catch (err) {
      throw providerProblem(err);
    }
  }

  async portal(tenantId: string): Promise<{ url: string }> {
    const account = await this.account(tenantId);
    const provider = this.deps.billingProvider;
    if (!provider || !this.portalAvailable(account) || !account.customerId) {
      throw conflict('portal_unavailable', 'There is no billing portal for this tenant: its billing is managed by the operator.');
    }
    try {
      return await provider.createPortal(account.customerId, `${this.deps.config.publicUrl}/billing`);
    } catch (err) {
      throw providerProblem(err);
    }
  }

  /** The one entry that changes subscription state: provider events and manual actions alike. */
  async apply(change: BillingChange, at: Date, source: ApplySource): Promise<{ tenantId: string | null; result: string }> {
    const applied = await this.deps.mail.transaction((tx, queueMail) => this.applyInTx(tx, queueMail, change, at, source));
    await this.afterApply(applied);
    return { tenantId: applied.tenantId, result: applied.result };
  }

  /** `apply` inside the caller's transaction (the event job marks its event in the same one); then call `afterApply`. */
  applyInTx(tx: Tx, queueMail: QueueMail, change: BillingChange, at: Date, source: ApplySource): Promise<Applied> {
    return applyChange(tx, queueMail, this.deps.config, change, at, source);
  }

  /** After commit: limits of a new plan reach the live instances, and the tenant's access is enforced again. */
  async afterApply(applied: Applied): Promise<void> {
    if (!applied.tenantId || !applied.changed) return;
    if (applied.planChanged) await this.applyLimits(applied.tenantId);
    await this.enforce(applied.tenantId);
  }

  /** Manual provider: the admin sets the subscription's state, through `apply` like a provider event. */
  async setManualState(
    tenantId: string,
    actor: AuthenticatedUser,
    body: { status: 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid'; reason: string },
  ): Promise<BillingDto> {
    const account = await this.manualAccount(tenantId);
    const change: BillingChange = {
      kind: 'subscription',
      tenant: { tenantId, customerId: null },
      subscriptionId: account.subscriptionId ?? `manual-${tenantId}`,
      customerId: account.customerId ?? `manual-${tenantId}`,
      status: body.status,
      providerPriceId: null,
      quantity: account.quantity,
      trialEndsAt: account.trialEndsAt,
      currentPeriodEnd: account.currentPeriodEnd,
      cancelAtPeriodEnd: false,
    };
    await this.apply(change, new Date(), { eventId: null, actorId: actor.userId, reason: body.reason });
    return this.get(tenantId);
  }

  /** Manual provider: a payment received, recorded as a paid invoice; an unpaid subscription becomes active. */
  async recordPayment(tenantId: string, actor: AuthenticatedUser, body: { amount: number; reference: string }): Promise<InvoiceDto> {
    await this.manualAccount(tenantId);
    const now = new Date();
    const providerInvoiceId = `manual-${randomUUID()}`;
    const change: BillingChange = {
      kind: 'invoice',
      tenant: { tenantId, customerId: null },
      subscriptionId: null,
      outcome: 'paid',
      invoice: {
        providerInvoiceId,
        number: body.reference,
        status: 'paid',
        currency: this.deps.config.billing.currency,
        amountDue: body.amount,
        amountPaid: body.amount,
        hostedUrl: null,
        pdfUrl: null,
        periodStart: null,
        periodEnd: null,
        paidAt: now,
      },
    };
    await this.apply(change, now, {
      eventId: null,
      actorId: actor.userId,
      reason: `Payment recorded by ${actor.email}: ${body.reference}`,
    });
    const invoice = await new InvoicesRepository(this.deps.db).findByProviderId(providerInvoiceId);
    if (!invoice) throw new Error('recorded invoice not found');
    return toInvoiceDto(invoice);
  }

  /**
   * Switches plan without a provider checkout: a free plan is active at once; a paid one (manual
   * provider) starts its trial if the tenant never had one, else is active with an open first invoice.
   */
  private async switchPlan(tenantId: string, actorId: string, plan: PlanRow, price: PlanPriceRow | null) {
    const now = new Date();
    const applied = await this.deps.mail.transaction(async (tx, queueMail) => {
      const accounts = new BillingAccountsRepository(tx);
      const account = await accounts.findForUpdate(tenantId);
      if (!account) throw notFound('Billing account');
      const trial = price !== null && plan.trialDays > 0 && !hadTrial(account);
      const status = trial ? 'trialing' : 'active';
      const trialEndsAt = trial ? new Date(now.getTime() + plan.trialDays * 86_400_000) : account.trialEndsAt;
      const periodEnd = price ? addInterval(trialEndsAt && trial ? trialEndsAt : now, price.interval) : null;
      await new TenantsRepository(tx).setPlan(tenantId, plan.code);
      await accounts.update(tenantId, {
        status,
        priceId: price?.id ?? null,
        trialEndsAt,
        currentPeriodEnd: periodEnd,
        cancelAtPeriodEnd: false,
        ...(status !== account.status ? { statusSince: now } : {}),
        providerUpdatedAt: now,
      });
      await recordSubscriptionChange(tx, tenantId, { at: now, currency: this.deps.config.billing.currency });
      if (price && !trial) {
        await new InvoicesRepository(tx).upsert({
          tenantId,
          provider: account.provider,
          providerInvoiceId: `manual-${randomUUID()}`,
          number: null,
          status: 'open',
          currency: price.currency,
          amountDue: price.unitAmount * account.quantity,
          amountPaid: 0,
          periodStart: now,
          periodEnd,
          note: `First ${price.interval} of the ${plan.name} plan`,
        });
      }
      await mailPlanChange(tx, queueMail, this.deps.config, tenantId, plan);
      return { tenantId, result: `plan ${plan.code} (${status})`, changed: true, planChanged: true, from: account.status, status };
    });
    await this.deps.audit.record({
      actorId,
      actorEmail: null,
      tenantId,
      action: 'billing.plan_changed',
      targetType: 'tenant',
      targetId: tenantId,
      ip: null,
      result: 'success',
      requestId: null,
      details: { planCode: plan.code, from: applied.from, to: applied.status },
    });
    await this.afterApply(applied);
  }

  private async account(tenantId: string): Promise<BillingAccountRow> {
    const account = await new BillingAccountsRepository(this.deps.db).find(tenantId);
    if (!account) throw notFound('Tenant');
    return account;
  }

  private async manualAccount(tenantId: string) {
    const account = await this.account(tenantId);
    if (account.provider === 'stripe') {
      throw conflict('billing_stripe', 'This tenant pays through Stripe: its subscription changes there, not by hand.');
    }
    return account;
  }

  private portalAvailable(account: BillingAccountRow) {
    return this.deps.billingProvider !== null && account.provider === 'stripe' && account.customerId !== null;
  }

  private async applyLimits(tenantId: string) {
    const instances = new InstancesRepository(this.deps.db);
    for (const { id, plan } of await instances.liveWithPlan({ tenantId })) {
      const { memoryMb, cpuMillis, pids, storageGb, workers } = plan;
      await instances.update(id, { limits: { memoryMb, cpuMillis, pids, storageGb, workers } });
      await enqueueInstanceJob(this.deps.queues, id, 'update-limits', null);
    }
  }

  private async enforce(tenantId: string) {
    try {
      await this.deps.queues.maintenance.add(ENFORCE_TENANT_JOB, { tenantId }, { jobId: `enforce-${tenantId}-${Date.now()}` });
    } catch (err) {
      // The periodic enforcement pass catches up; the change itself is committed.
      this.deps.log.warn({ err, tenantId }, 'could not enqueue billing enforcement');
    }
  }
}

/** A tenant gets one trial: it had it when a trial end was ever set. */
const hadTrial = (account: BillingAccountRow) => account.trialEndsAt !== null;

const addInterval = (from: Date, interval: 'month' | 'year') => {
  const next = new Date(from);
  if (interval === 'month') next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCFullYear(next.getUTCFullYear() + 1);
  return next;
};

/** A provider failure reaches the user as a 502 problem with the provider's own message. */
function providerProblem(err: unknown): unknown {
  return err instanceof BillingProviderError ? badGateway('billing_provider_error', err.message) : err;
}
