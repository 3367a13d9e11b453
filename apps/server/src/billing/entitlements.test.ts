import { describe, expect, it } from 'vitest';
import type { SubscriptionStatus } from './billing.tables.js';
import { evaluateAccess } from './entitlements.js';

const since = new Date('2026-03-01T00:00:00Z');
const timings = { graceSeconds: 7 * 86_400, retentionSeconds: 30 * 86_400 };
const at = (seconds: number) => new Date(since.getTime() + seconds * 1000);
const graceEnd = at(timings.graceSeconds);
const deletion = at(timings.retentionSeconds);

describe('evaluateAccess', () => {
  it.each<[SubscriptionStatus, number, string, Date | null, boolean]>([
    ['trialing', 0, 'full', null, true],
    ['active', 400 * 86_400, 'full', null, true],
    // past_due: grace up to (not including) the end of the grace period, then suspended.
    ['past_due', 0, 'grace', graceEnd, true],
    ['past_due', timings.graceSeconds - 1, 'grace', graceEnd, true],
    ['past_due', timings.graceSeconds, 'suspended', graceEnd, false],
    ['past_due', timings.retentionSeconds * 2, 'suspended', graceEnd, false],
    // canceled / unpaid / expired: suspended at once, deleted from the end of retention.
    ['canceled', 0, 'suspended', deletion, false],
    ['canceled', timings.retentionSeconds - 1, 'suspended', deletion, false],
    ['canceled', timings.retentionSeconds, 'deleted', deletion, false],
    ['unpaid', 1, 'suspended', deletion, false],
    ['unpaid', timings.retentionSeconds + 1, 'deleted', deletion, false],
    ['incomplete_expired', 0, 'suspended', deletion, false],
    ['incomplete_expired', timings.retentionSeconds, 'deleted', deletion, false],
    // Not (yet) paying: what exists keeps running, nothing new.
    ['none', 0, 'full', null, false],
    ['none', 400 * 86_400, 'full', null, false],
    ['incomplete', 0, 'full', null, false],
    ['paused', 90 * 86_400, 'full', null, false],
  ])('%s after %is → %s', (status, elapsed, access, deadline, mayCreateInstances) => {
    expect(evaluateAccess({ status, statusSince: since }, at(elapsed), timings)).toEqual({ access, deadline, mayCreateInstances });
  });

  it('a zero grace suspends a past_due tenant at once', () => {
    expect(evaluateAccess({ status: 'past_due', statusSince: since }, since, { graceSeconds: 0, retentionSeconds: 0 }).access).toBe(
      'suspended',
    );
  });

  it('a clock behind statusSince keeps the milder state', () => {
    expect(evaluateAccess({ status: 'canceled', statusSince: since }, at(-60), timings).access).toBe('suspended');
    expect(evaluateAccess({ status: 'past_due', statusSince: since }, at(-60), timings).access).toBe('grace');
  });

  it('a manual trial past its end counts as past due from its end; a Stripe trial is left to Stripe', () => {
    const trialEndsAt = at(14 * 86_400);
    const manual = { status: 'trialing' as const, statusSince: since, provider: 'manual' as const, trialEndsAt };
    expect(evaluateAccess(manual, at(14 * 86_400 - 1), timings).access).toBe('full');
    expect(evaluateAccess(manual, trialEndsAt, timings)).toEqual({
      access: 'grace',
      deadline: new Date(trialEndsAt.getTime() + timings.graceSeconds * 1000),
      mayCreateInstances: true,
    });
    expect(evaluateAccess(manual, at((14 + 7) * 86_400), timings).access).toBe('suspended');
    expect(evaluateAccess({ ...manual, provider: 'stripe' }, at(60 * 86_400), timings).access).toBe('full');
  });

  it('keeps an operator-suspended tenant suspended whatever it pays, but lets the end of retention delete it', () => {
    const operatorSuspendedAt = at(10);
    expect(evaluateAccess({ status: 'active', statusSince: since, operatorSuspendedAt }, at(20), timings)).toEqual({
      access: 'suspended',
      deadline: null,
      mayCreateInstances: false,
    });
    expect(evaluateAccess({ status: 'past_due', statusSince: since, operatorSuspendedAt }, at(20), timings).access).toBe('suspended');
    // Canceled meanwhile: the retention's deadline still stands, and 'deleted' wins at its end.
    expect(evaluateAccess({ status: 'canceled', statusSince: since, operatorSuspendedAt }, at(20), timings)).toMatchObject({
      access: 'suspended',
      deadline: deletion,
    });
    expect(evaluateAccess({ status: 'canceled', statusSince: since, operatorSuspendedAt }, deletion, timings).access).toBe('deleted');
    expect(evaluateAccess({ status: 'active', statusSince: since, operatorSuspendedAt: null }, at(20), timings).access).toBe('full');
  });
});
