import type { z } from 'zod';
import type { billingNoticeSchema } from './billing.schemas.js';
import type { BillingAccountRow } from './billing-accounts.repo.js';
import type { AccessDecision } from './entitlements.js';

type Notice = z.infer<typeof billingNoticeSchema>;

/** A trial ending within this many days gets a banner. */
const TRIAL_NOTICE_DAYS = 7;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The banners of a tenant's billing page and app layout, from its account and what the entitlement rules decide. */
export function billingNotices(account: BillingAccountRow, decision: AccessDecision, now: Date): Notice[] {
  // The operator's suspension is the one to act on (paying does not lift it); the reason is the operator's own words.
  if (account.operatorSuspendedAt && decision.access === 'suspended') {
    const reason = account.operatorSuspendReason ? ` Reason: ${account.operatorSuspendReason}` : '';
    return [
      {
        kind: 'operator-suspended',
        message: `The platform operator suspended this organization on ${day(account.operatorSuspendedAt)}; its instances are stopped.${reason} Contact support to resume it.`,
        deadline: null,
      },
    ];
  }
  const deadline = decision.deadline?.toISOString() ?? null;
  switch (account.status) {
    case 'trialing': {
      const ends = account.trialEndsAt;
      // A manual trial past its end: the rules treat it as past due.
      if (decision.access !== 'full' && ends) return pastDue(decision, now, `Your trial ended on ${day(ends)}.`);
      if (!ends || ends.getTime() - now.getTime() > TRIAL_NOTICE_DAYS * 86_400_000) return [];
      return [
        {
          kind: 'trial-ending',
          message: `Your trial ends on ${day(ends)}. Subscribe to keep your instances running.`,
          deadline: ends.toISOString(),
        },
      ];
    }
    case 'active':
      return account.cancelAtPeriodEnd && account.currentPeriodEnd
        ? [
            {
              kind: 'canceled',
              message: `Your subscription ends on ${day(account.currentPeriodEnd)}; your instances are suspended after that.`,
              deadline: account.currentPeriodEnd.toISOString(),
            },
          ]
        : [];
    case 'past_due':
      return pastDue(decision, now, 'A payment failed.');
    case 'canceled':
    case 'unpaid':
    case 'incomplete_expired':
      return [
        {
          kind: account.status === 'canceled' ? 'canceled' : 'suspended',
          message: `Your subscription has ended and your instances are suspended. They are deleted on ${day(decision.deadline ?? now)} unless you subscribe again.`,
          deadline,
        },
      ];
    case 'none':
    case 'incomplete':
    case 'paused':
      return [{ kind: 'subscription-required', message: 'Choose a plan to create instances.', deadline: null }];
  }
}

function pastDue(decision: AccessDecision, now: Date, what: string): Notice[] {
  return decision.access === 'grace'
    ? [
        {
          kind: 'past-due',
          message: `${what} Pay before ${day(decision.deadline ?? now)} to avoid the suspension of your instances.`,
          deadline: decision.deadline?.toISOString() ?? null,
        },
      ]
    : [{ kind: 'suspended', message: `${what} Your instances are suspended; paying resumes them.`, deadline: null }];
}
