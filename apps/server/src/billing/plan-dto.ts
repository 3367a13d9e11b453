import type { PlanPriceRow, PlanRow } from './plans.repo.js';
import type { PlanDto, PublicPlanDto } from './plans.schemas.js';

const INTERVAL_ORDER = { month: 0, year: 1 } as const;

/** Active prices first, then by interval, then newest first: the admin table reads the current price at the top. */
const byRelevance = (a: PlanPriceRow, b: PlanPriceRow) =>
  Number(b.active) - Number(a.active) ||
  INTERVAL_ORDER[a.interval] - INTERVAL_ORDER[b.interval] ||
  b.createdAt.getTime() - a.createdAt.getTime();

export function toPlanDto(plan: PlanRow, prices: PlanPriceRow[]): PlanDto {
  return {
    code: plan.code,
    name: plan.name,
    description: plan.description,
    visibility: plan.visibility,
    sortOrder: plan.sortOrder,
    trialDays: plan.trialDays,
    perUser: plan.perUser,
    maxInstances: plan.maxInstances,
    memoryMb: plan.memoryMb,
    cpuMillis: plan.cpuMillis,
    pids: plan.pids,
    storageGb: plan.storageGb,
    workers: plan.workers,
    customDomains: plan.customDomains,
    odooVersions: plan.odooVersions ?? null,
    backupRetention: plan.backupRetention,
    manualBackupsPerDay: plan.manualBackupsPerDay,
    prices: prices
      .filter((p) => p.planCode === plan.code)
      .sort(byRelevance)
      .map((p) => ({
        id: p.id,
        interval: p.interval,
        currency: p.currency,
        unitAmount: p.unitAmount,
        active: p.active,
        providerPriceId: p.providerPriceId,
      })),
    providerProductId: plan.providerProductId,
    syncedAt: plan.syncedAt?.toISOString() ?? null,
    syncError: plan.syncError,
  };
}

/** What the pricing page, sign-up and the tenant's billing page show: active prices only (none: free). */
export function toPublicPlanDto(plan: PlanRow, prices: PlanPriceRow[]): PublicPlanDto {
  return {
    code: plan.code,
    name: plan.name,
    description: plan.description,
    trialDays: plan.trialDays,
    perUser: plan.perUser,
    maxInstances: plan.maxInstances,
    memoryMb: plan.memoryMb,
    cpuMillis: plan.cpuMillis,
    storageGb: plan.storageGb,
    workers: plan.workers,
    customDomains: plan.customDomains,
    odooVersions: plan.odooVersions ?? null,
    backupRetention: plan.backupRetention,
    prices: prices
      .filter((p) => p.planCode === plan.code && p.active)
      .sort(byRelevance)
      .map((p) => ({ interval: p.interval, currency: p.currency, unitAmount: p.unitAmount })),
  };
}
