import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { badGateway, conflict, fieldInvalid, notFound } from '../errors/domain-error.js';
import { enqueueInstanceJob } from '../instances/instance-jobs.js';
import { InstancesRepository, OdooVersionsRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import type { MailService } from '../mail/mail.service.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import { recordSubscriptionChange } from './billing-accounts.repo.js';
import { type BillingProvider, BillingProviderError } from './billing-provider.js';
import { mailPlanChange } from './owner-mail.js';
import { toPlanDto, toPublicPlanDto } from './plan-dto.js';
import { type PlanRow, PlansRepository, type PlanValues } from './plans.repo.js';
import type { PlanDto, PlanInput, PublicPlanDto } from './plans.schemas.js';

const INTERVALS = ['month', 'year'] as const;

export interface PlansDeps {
  db: Db;
  queues: Queues;
  config: Config;
  mail: MailService;
  /** Stripe when configured; null is the manual provider (nothing to sync). */
  billingProvider: BillingProvider | null;
}

/**
 * The plan catalog: limits, what a plan allows, its prices, and its sync with the billing provider.
 * A change reaches the live instances on the plan at once.
 */
export class PlansService {
  private readonly plans: PlansRepository;

  constructor(private readonly deps: PlansDeps) {
    this.plans = new PlansRepository(deps.db);
  }

  /** Every plan with all its prices (old ones kept for their subscribers), for admins. */
  async list(): Promise<PlanDto[]> {
    const [rows, prices] = await Promise.all([this.plans.list(), this.plans.prices()]);
    return rows.map((plan) => toPlanDto(plan, prices));
  }

  async get(code: string): Promise<PlanDto> {
    const plan = await this.plans.find(code);
    if (!plan) throw notFound('Plan');
    return toPlanDto(plan, await this.plans.prices(code));
  }

  /** The plans offered at sign-up and on the pricing page, in their display order. */
  async listPublic(): Promise<PublicPlanDto[]> {
    const [rows, prices] = await Promise.all([this.plans.list(), this.plans.prices()]);
    return rows.filter((p) => p.visibility === 'public').map((plan) => toPublicPlanDto(plan, prices));
  }

  /**
   * Creates or changes a plan. Optional fields left out keep their value (the column default for a new
   * plan). A changed amount is a new price row; the old one stays, inactive, for its subscribers.
   * A failed sync with the provider is recorded on the plan and does not undo the save.
   */
  async put(code: string, input: PlanInput): Promise<PlanDto> {
    await this.validate(code, input);
    const { prices: priceInput, ...fields } = input;
    const values = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as PlanValues;
    const plan = await this.deps.db.transaction(async (tx) => {
      const repo = new PlansRepository(tx);
      const row = await repo.upsert(code, values);
      for (const interval of INTERVALS) {
        const amount = priceInput?.[interval];
        if (amount !== undefined) await this.setPrice(repo, code, interval, amount);
      }
      return row;
    });
    await this.applyLimits({ planCode: code });
    // Name and description live on the provider's product too: sync after every save, not only on price changes.
    if (this.deps.billingProvider) await this.syncWith(this.deps.billingProvider, plan).catch(ignoreProviderError);
    return this.get(code);
  }

  /** Retries the sync with the provider; its error is recorded on the plan and returned as a 502. */
  async sync(code: string): Promise<PlanDto> {
    const provider = this.deps.billingProvider;
    if (!provider) throw conflict('billing_manual', 'The manual billing provider is in use: there is nothing to sync (docs/billing.md).');
    const plan = await this.plans.find(code);
    if (!plan) throw notFound('Plan');
    try {
      await this.syncWith(provider, plan);
    } catch (err) {
      if (err instanceof BillingProviderError)
        throw badGateway('billing_provider_error', `The billing provider refused the sync: ${err.message}`);
      throw err;
    }
    return this.get(code);
  }

  /**
   * Moves a tenant to a plan (admin). A manual account's price follows the plan's monthly price; a
   * Stripe account keeps the price it pays until Stripe says otherwise (portal or checkout).
   */
  async setTenantPlan(tenantId: string, planCode: string) {
    const plan = await this.plans.find(planCode);
    if (!plan) throw notFound('Plan');
    const tenant = await this.deps.mail.transaction(async (tx, queueMail) => {
      const row = await new TenantsRepository(tx).setPlan(tenantId, plan.code);
      if (!row) return null;
      // Before the new limits reach the instances: the mail names those that restart for it.
      await mailPlanChange(tx, queueMail, this.deps.config, tenantId, plan);
      const repo = new PlansRepository(tx);
      const monthly = await repo.activePrice(plan.code, 'month');
      await repo.setManualAccountPrice(tenantId, monthly?.id ?? null);
      await recordSubscriptionChange(tx, tenantId, { currency: this.deps.config.billing.currency });
      return row;
    });
    if (!tenant) throw notFound('Tenant');
    await this.applyLimits({ tenantId });
    return { tenantId: tenant.id, planCode: plan.code };
  }

  private async validate(code: string, input: PlanInput) {
    if (input.odooVersions) {
      const known = new Set((await new OdooVersionsRepository(this.deps.db).list()).map((v) => v.version));
      const unknown = input.odooVersions.filter((v) => !known.has(v));
      if (unknown.length > 0)
        throw fieldInvalid('odooVersions', 'unknown_version', `Not in the Odoo versions catalog: ${unknown.join(', ')}.`);
    }
    // New tenants land on the default plan; hidden, it would be missing from the pricing page they choose from.
    if (input.visibility === 'hidden' && code === this.deps.config.billing.defaultPlan) {
      throw fieldInvalid('visibility', 'default_plan_hidden', 'The default plan (DEFAULT_PLAN) must stay public.');
    }
  }

  /** Makes `amount` the interval's active price (null: no price); an unchanged amount keeps its row. */
  private async setPrice(repo: PlansRepository, code: string, interval: 'month' | 'year', amount: number | null) {
    const current = await repo.activePrice(code, interval);
    const currency = this.deps.config.billing.currency;
    if (current && amount !== null && current.unitAmount === amount && current.currency === currency) return;
    if (current) await repo.deactivatePrice(current.id);
    if (amount !== null) await repo.insertPrice({ planCode: code, interval, currency, unitAmount: amount });
  }

  /** Pushes the plan and its prices to the provider and stores the ids it gave, or the error it raised. */
  private async syncWith(provider: BillingProvider, plan: PlanRow) {
    const prices = await this.plans.prices(plan.code);
    try {
      const result = await provider.syncPlan(plan, prices);
      await this.deps.db.transaction(async (tx) => {
        const repo = new PlansRepository(tx);
        for (const [priceId, providerPriceId] of Object.entries(result.priceIds)) await repo.setProviderPriceId(priceId, providerPriceId);
        await repo.update(plan.code, { providerProductId: result.productId, syncedAt: new Date(), syncError: null });
      });
    } catch (err) {
      if (err instanceof BillingProviderError) await this.plans.update(plan.code, { syncError: err.message.slice(0, 2000) });
      throw err;
    }
  }

  /** Copies plan limits onto the live instances concerned and asks the worker to apply them. */
  private async applyLimits(scope: { tenantId: string } | { planCode: string }) {
    const instances = new InstancesRepository(this.deps.db);
    for (const { id, plan } of await instances.liveWithPlan(scope)) {
      const { memoryMb, cpuMillis, pids, storageGb, workers } = plan;
      await instances.update(id, { limits: { memoryMb, cpuMillis, pids, storageGb, workers } });
      await enqueueInstanceJob(this.deps.queues, id, 'update-limits', null);
    }
  }
}

/** The save stands when the provider fails: the error is on the plan (syncError) and the admin retries. */
function ignoreProviderError(err: unknown) {
  if (!(err instanceof BillingProviderError)) throw err;
}
