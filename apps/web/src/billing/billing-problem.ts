import { isApiProblem } from '@saas/api-client';
import { notifyError } from '@saas/ui';

/** Billing's problem codes, said in the user's terms; other problems keep the API's own detail. */
const MESSAGES: Record<string, { title: string; message: string }> = {
  subscription_required: {
    title: 'Subscription required',
    message: 'Choose a plan on the billing page to create instances.',
  },
  tenant_suspended: {
    title: 'Organization suspended',
    message: 'Your instances are suspended because of an unpaid subscription. Settle it on the billing page to resume them.',
  },
  billing_provider_error: {
    title: 'Payment provider error',
    message: 'The payment provider could not complete the request. Try again in a moment.',
  },
  portal_unavailable: {
    title: 'Billing portal unavailable',
    message: 'There is no payment account to manage yet: choose a plan first.',
  },
  payment_required: { title: 'Plan limit reached', message: 'Your plan does not allow this. Change plan on the billing page.' },
};

/** Title and message for a billing-related problem; the provider's own words are kept when it gave some. */
export function billingProblem(error: unknown): { title: string; message: string } | null {
  if (!isApiProblem(error)) return null;
  const known = MESSAGES[error.code];
  if (!known) return null;
  // The API's detail says the real cause (e.g. Stripe's message); keep it after the explanation.
  const detail = error.detail && error.detail !== error.title ? error.detail : '';
  return { title: known.title, message: detail && !known.message.includes(detail) ? `${known.message} (${detail})` : known.message };
}

export function notifyBillingError(error: unknown, fallbackTitle?: string): void {
  const known = billingProblem(error);
  if (known) notifyError(new Error(known.message), known.title);
  else notifyError(error, fallbackTitle);
}
