import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { WebhookSignatureError } from '../../src/billing/billing-provider.js';
import { provider, useStripeFake, WEBHOOK_SECRET, withChange } from '../support/stripe-provider.js';

/**
 * The Stripe provider's webhook signature checks, made by the real Stripe SDK to a local fake of the Stripe API.
 */
const fake = useStripeFake();

describe('Stripe provider: webhooks', () => {
  const subscriptionEvent = () =>
    fake().event('customer.subscription.updated', {
      id: 'sub_1',
      customer: 'cus_1',
      status: 'past_due',
      metadata: {},
      items: { data: [] },
      cancel_at_period_end: false,
      trial_end: null,
    });

  it('accepts a header made by the SDK test helper', () => {
    const { body, header } = fake().signedPayload(subscriptionEvent());
    const event = withChange(provider().readWebhook(Buffer.from(body), header));
    expect(event).toMatchObject({
      type: 'customer.subscription.updated',
      change: { kind: 'subscription', status: 'past_due', subscriptionId: 'sub_1' },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.occurredAt.getTime()).toBe((JSON.parse(body) as { created: number }).created * 1000);
  });

  it('refuses a missing, wrong, stale or tampered signature', () => {
    const { body, header } = fake().signedPayload(subscriptionEvent());
    const read = (raw: string, signature: string | undefined) => () => provider().readWebhook(Buffer.from(raw), signature);
    const otherSecret = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_someoneelse' });
    const stale = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: WEBHOOK_SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    for (const [raw, signature] of [
      [body, undefined],
      [body, ''],
      [body, 'garbage'],
      [body, otherSecret],
      [body, stale],
      [body.replace('past_due', 'active'), header],
    ] as const) {
      expect(read(raw, signature)).toThrow(WebhookSignatureError);
    }
  });
});
