import type { AccessState, BillingProviderKind, SubscriptionStatus } from './billing.tables.js';

/** The part of a billing account that decides access. */
export interface AccessInput {
  status: SubscriptionStatus;
  /** When `status` last changed: grace and retention count from here. */
  statusSince: Date;
  /** With the manual provider nobody ends a trial but the clock: past its end it counts as past due. */
  provider?: BillingProviderKind;
  trialEndsAt?: Date | null;
  /** Set while an operator has suspended the tenant (admin dashboard): suspended whatever the subscription says. */
  operatorSuspendedAt?: Date | null;
}

export interface AccessTimings {
  graceSeconds: number;
  retentionSeconds: number;
}

export interface AccessDecision {
  access: AccessState;
  /**
   * When the access gets worse without anything else happening: the end of the grace period for
   * `past_due` (already past once suspended), the deletion time for canceled/unpaid/expired; else null.
   */
  deadline: Date | null;
  /** Whether the tenant may create new instances (402 `subscription_required` otherwise). */
  mayCreateInstances: boolean;
}

/**
 * The entitlement rules, pure so the enforcement job, the API refusals and the tenant's billing notices
 * all agree. A boundary time belongs to the worse state: at exactly statusSince + grace the tenant is
 * suspended, at exactly statusSince + retention its instances are deleted.
 */
export function evaluateAccess(account: AccessInput, now: Date, timings: AccessTimings): AccessDecision {
  const billing = evaluateSubscription(account, now, timings);
  // An operator's suspension keeps a tenant suspended; only the end of retention ('deleted') goes further.
  if (!account.operatorSuspendedAt || billing.access === 'deleted') return billing;
  return { access: 'suspended', deadline: billing.access === 'suspended' ? billing.deadline : null, mayCreateInstances: false };
}

/** What the subscription alone allows. */
export function evaluateSubscription(account: AccessInput, now: Date, timings: AccessTimings): AccessDecision {
  // Stripe ends its trials itself (active, past_due…); a manual trial ends unpaid until an admin records a payment.
  const trialEnded = account.provider === 'manual' && account.status === 'trialing' && account.trialEndsAt && account.trialEndsAt <= now;
  if (trialEnded && account.trialEndsAt) {
    return evaluateSubscription({ status: 'past_due', statusSince: account.trialEndsAt }, now, timings);
  }
  const since = account.statusSince.getTime();
  switch (account.status) {
    case 'trialing':
    case 'active':
      return { access: 'full', deadline: null, mayCreateInstances: true };
    case 'past_due': {
      const graceEnd = new Date(since + timings.graceSeconds * 1000);
      const inGrace = now.getTime() < graceEnd.getTime();
      return { access: inGrace ? 'grace' : 'suspended', deadline: graceEnd, mayCreateInstances: inGrace };
    }
    case 'canceled':
    case 'unpaid':
    case 'incomplete_expired': {
      const deletion = new Date(since + timings.retentionSeconds * 1000);
      const deleted = now.getTime() >= deletion.getTime();
      return { access: deleted ? 'deleted' : 'suspended', deadline: deletion, mayCreateInstances: false };
    }
    case 'none':
    case 'incomplete':
    case 'paused':
      // Nothing paid for yet (or paused): what exists keeps running, nothing new is created.
      return { access: 'full', deadline: null, mayCreateInstances: false };
  }
}
