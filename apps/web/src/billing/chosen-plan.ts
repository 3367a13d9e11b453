import type { Billing, Interval } from './billing.queries';

/** A plan picked before there was a tenant to subscribe (pricing → sign-up → confirm → log in). */
export interface ChosenPlan {
  plan: string;
  interval: Interval;
}

const STORAGE_KEY = 'saas.chosenPlan';

/** `?plan=<code>&interval=month|year`, as the pricing page links to the sign-up. */
export function chosenPlanFrom(search: string): ChosenPlan | null {
  const params = new URLSearchParams(search);
  const plan = params.get('plan');
  if (!plan || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(plan)) return null;
  return { plan, interval: params.get('interval') === 'year' ? 'year' : 'month' };
}

export function chosenPlanSearch(choice: ChosenPlan): string {
  return new URLSearchParams({ plan: choice.plan, interval: choice.interval }).toString();
}

// Storage can be unavailable (private mode, blocked): the choice is then only in the URL, which is fine.
export function rememberChosenPlan(choice: ChosenPlan | null): void {
  try {
    if (choice) localStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {}
}

export function readChosenPlan(): ChosenPlan | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<ChosenPlan>;
    return typeof v.plan === 'string' ? chosenPlanFrom(chosenPlanSearch({ plan: v.plan, interval: v.interval ?? 'month' })) : null;
  } catch {
    return null;
  }
}

/** The choice still waits for a checkout: the tenant is not subscribed to that plan yet. */
export function isPending(choice: ChosenPlan, billing: Pick<Billing, 'status' | 'plan'>): boolean {
  const subscribed = billing.status === 'trialing' || billing.status === 'active' || billing.status === 'past_due';
  return !subscribed || billing.plan.code !== choice.plan;
}
