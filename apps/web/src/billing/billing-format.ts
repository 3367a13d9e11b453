import { formatCpu, formatMemory } from '@saas/ui';
import type { Billing, Interval, PublicPlan } from './billing.queries';

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount in minor units (cents) in its currency: 1900 eur → "€19.00". */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  let format = moneyFormats.get(code);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency: code });
    moneyFormats.set(code, format);
  }
  // Minor units per the currency's own digits (2 for EUR, 0 for JPY).
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

export type PlanPrice = PublicPlan['prices'][number];

export const isFree = (plan: PublicPlan) => plan.prices.length === 0;

/** The plan's price for the interval, or null (free plan, or not sold for that interval). */
export function priceFor(plan: PublicPlan, interval: Interval): PlanPrice | null {
  return plan.prices.find((p) => p.interval === interval) ?? null;
}

/** "€19.00 per user / month", "€190.00 / year", "Free". */
export function priceLabel(
  plan: Pick<PublicPlan, 'perUser'>,
  price: Pick<PlanPrice, 'unitAmount' | 'currency' | 'interval'> | null,
): string {
  if (!price) return 'Free';
  return `${formatMoney(price.unitAmount, price.currency)} ${plan.perUser ? 'per user ' : ''}/ ${price.interval}`;
}

/** What a plan allows, one line each, in the words of the pricing page. */
export function planFeatures(plan: PublicPlan): string[] {
  const r = plan.backupRetention;
  const retention = [r.daily && `${r.daily} daily`, r.weekly && `${r.weekly} weekly`, r.monthly && `${r.monthly} monthly`].filter(Boolean);
  return [
    plan.maxInstances === 1 ? '1 Odoo instance' : `${plan.maxInstances} Odoo instances`,
    `${formatMemory(plan.memoryMb)} memory, ${formatCpu(plan.cpuMillis)} per instance`,
    `${plan.storageGb} GB storage per instance`,
    plan.workers === 0 ? 'Single-process Odoo' : `${plan.workers} Odoo ${plan.workers === 1 ? 'worker' : 'workers'}`,
    plan.customDomains ? 'Custom domains' : 'No custom domains',
    plan.odooVersions ? `Odoo ${plan.odooVersions.join(', ')}` : 'Every Odoo version offered',
    retention.length > 0 ? `Backups kept: ${retention.join(', ')}` : 'No scheduled backups',
  ];
}

export const STATUS_LABELS: Record<Billing['status'], { label: string; color: string }> = {
  trialing: { label: 'Trial', color: 'blue.9' },
  active: { label: 'Active', color: 'teal.9' },
  past_due: { label: 'Past due', color: 'orange.9' },
  unpaid: { label: 'Unpaid', color: 'red.9' },
  canceled: { label: 'Canceled', color: 'gray.7' },
  incomplete: { label: 'Incomplete', color: 'orange.9' },
  incomplete_expired: { label: 'Expired', color: 'gray.7' },
  paused: { label: 'Paused', color: 'gray.7' },
  none: { label: 'No subscription', color: 'gray.7' },
};

/** Statuses under which the tenant holds its plan (paid or on trial): that plan is not offered again. */
export const SUBSCRIBED: ReadonlySet<Billing['status']> = new Set(['trialing', 'active', 'past_due']);

/** The plan the tenant is subscribed to, for marking it in the picker; none while it has no subscription. */
export function currentChoice(billing: Billing | undefined): { code: string; interval: Interval | null } | undefined {
  if (!billing || !SUBSCRIBED.has(billing.status)) return undefined;
  return { code: billing.plan.code, interval: billing.price?.interval ?? null };
}
