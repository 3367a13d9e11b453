import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { BillingProviderError } from '../../src/billing/billing-provider.js';
import type { PlanRow } from '../../src/billing/plans.repo.js';
import { startStripeFake } from '../support/stripe-fake.js';
import {
  checkoutRequest,
  plan,
  posts,
  price,
  provider,
  synced,
  useStripeFake,
  WEBHOOK_SECRET,
  withChange,
} from '../support/stripe-provider.js';

/**
 * The Stripe provider's checkout, portal and quantity calls, its refusals, and the webhooks Stripe sends as a subscription lives, made by the real Stripe SDK to a local fake of the Stripe API.
 */
const fake = useStripeFake();

describe('Stripe provider: checkout, portal, quantity', () => {
  let p: PlanRow;
  let priceId: string;
  beforeAll(async () => {
    const perUser = plan({ perUser: true });
    const made = await synced(perUser, [price(perUser.code, 'month', 1900)]);
    p = made.plan;
    priceId = made.prices[0]?.providerPriceId ?? '';
  });

  it('creates the customer once and a subscription session with trial and tenant metadata', async () => {
    const request = checkoutRequest(p, priceId, { quantity: 2 });
    const checkout = await provider().createCheckout(request);

    expect(fake().state.customers.get(checkout.customerId)).toMatchObject({
      email: 'owner@acme.test',
      name: 'Acme',
      metadata: { tenantId: request.tenantId },
    });
    const session = fake().state.sessions.get(checkout.sessionId);
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: checkout.customerId,
      client_reference_id: request.tenantId,
      metadata: { tenantId: request.tenantId, planCode: p.code },
      line_items: [{ price: priceId, quantity: 2 }],
      subscription_data: { metadata: { tenantId: request.tenantId }, trial_period_days: 14 },
      automatic_tax: { enabled: false },
      success_url: request.successUrl,
      cancel_url: request.cancelUrl,
    });
    expect(checkout.url).toBe(`${fake().url}/checkout/${checkout.sessionId}`);
    expect(posts('/v1/checkout/sessions').at(-1)?.idempotencyKey).toBe(request.idempotencyKey);

    // The same request again (a double click) is the same session; a later one reuses the customer.
    const customers = fake().state.customers.size;
    expect((await provider().createCheckout(request)).sessionId).toBe(checkout.sessionId);
    const later = await provider().createCheckout({
      ...request,
      customerId: checkout.customerId,
      trialDays: 0,
      idempotencyKey: `${request.idempotencyKey}-2`,
    });
    expect(later.customerId).toBe(checkout.customerId);
    expect(fake().state.customers.size).toBe(customers);
    expect(fake().state.sessions.get(later.sessionId)?.subscription_data.trial_period_days).toBeNull();
  });

  it('asks for Stripe Tax and the address when tax is configured', async () => {
    const checkout = await provider({ STRIPE_TAX: 'true' }).createCheckout(checkoutRequest(p, priceId));
    expect(fake().state.sessions.get(checkout.sessionId)).toMatchObject({
      automatic_tax: { enabled: true },
      customer_update: { address: 'auto' },
    });
  });

  it('walks the hosted checkout, reads its signed webhooks, then sets the quantity and opens the portal', async () => {
    const request = checkoutRequest(p, priceId);
    const checkout = await provider().createCheckout(request);
    const page = await fetch(checkout.url);
    expect(await page.text()).toContain('>Pay</button>');
    const paid = await fetch(`${checkout.url}/pay`, { method: 'POST', redirect: 'manual' });
    expect([paid.status, paid.headers.get('location')]).toEqual([303, request.successUrl]);

    const events = fake()
      .deliveries.slice(-4)
      .map((d) =>
        withChange(provider().readWebhook(Buffer.from(fake().signedPayload(d.event).body), fake().signedPayload(d.event).header)),
      );
    expect(events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.finalized',
      'invoice.paid',
    ]);
    const subscriptionId = fake().state.sessions.get(checkout.sessionId)?.subscription ?? '';
    expect(events[0]?.change).toEqual({
      kind: 'checkout-completed',
      tenant: { tenantId: request.tenantId, customerId: checkout.customerId },
      customerId: checkout.customerId,
      subscriptionId,
    });
    expect(events[1]?.change).toMatchObject({
      kind: 'subscription',
      status: 'trialing',
      providerPriceId: priceId,
      quantity: 1,
      tenant: { tenantId: request.tenantId },
    });
    expect(events[3]?.change).toMatchObject({
      kind: 'invoice',
      outcome: 'paid',
      subscriptionId,
      invoice: { status: 'paid', amountPaid: 0 },
    });

    await provider().setQuantity(subscriptionId, 5, `qty-${request.tenantId}-2026-12-01`);
    expect(fake().state.subscription(subscriptionId).items.data[0]?.quantity).toBe(5);
    const update = posts(`/v1/subscriptions/${subscriptionId}`).at(-1);
    expect(update).toMatchObject({
      idempotencyKey: `qty-${request.tenantId}-2026-12-01`,
      body: { proration_behavior: 'create_prorations' },
    });
    // Unchanged quantity: nothing to send.
    await provider().setQuantity(subscriptionId, 5, 'qty-again');
    expect(posts(`/v1/subscriptions/${subscriptionId}`)).toHaveLength(1);

    const portal = await provider().createPortal(checkout.customerId, 'http://127.0.0.1:1/billing');
    expect(portal.url).toMatch(new RegExp(`^${fake().url}/portal/bps_`));
    expect(await (await fetch(portal.url)).text()).toContain('href="http://127.0.0.1:1/billing"');
  });

  it("turns Stripe's refusals into BillingProviderError with Stripe's code", async () => {
    const unknownPrice = provider().createCheckout(checkoutRequest(p, 'price_doesnotexist'));
    await expect(unknownPrice).rejects.toBeInstanceOf(BillingProviderError);
    await expect(unknownPrice).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 400,
      message: expect.stringContaining('price_doesnotexist'),
    });
    await expect(provider().setQuantity('sub_missing', 2, 'qty-missing')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    await expect(
      provider({ STRIPE_SECRET_KEY: 'sk_live_notforthefake' }).createPortal('cus_x', 'http://127.0.0.1:1/'),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('delivers signed webhooks to the endpoint as the subscription fails, recovers and ends', async () => {
    // A receiver that checks each delivery the way the API does: the raw body and its Stripe-Signature header.
    const received: ReturnType<typeof withChange>[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push(withChange(provider().readWebhook(Buffer.concat(chunks), req.headers['stripe-signature'] as string | undefined)));
          res.writeHead(200).end('{"received":true}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    fake().setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`);
    try {
      const request = checkoutRequest(p, priceId, { trialDays: 0 });
      const checkout = await provider().createCheckout(request);
      await fetch(`${checkout.url}/pay`, { method: 'POST', redirect: 'manual' });
      const subscriptionId = fake().state.sessions.get(checkout.sessionId)?.subscription ?? '';
      expect(received[1]?.change).toMatchObject({ kind: 'subscription', status: 'active', subscriptionId });
      expect(received[3]?.change).toMatchObject({
        kind: 'invoice',
        outcome: 'paid',
        invoice: { amountPaid: 1900, paidAt: expect.any(Date) },
      });

      const failed = await fake().failPayment(subscriptionId);
      expect(failed.map((d) => d.status)).toEqual([200, 200, 200]);
      expect(received.slice(-2).map((e) => e.change)).toMatchObject([
        { kind: 'invoice', outcome: 'payment-failed', invoice: { status: 'open', amountDue: 1900, amountPaid: 0 } },
        { kind: 'subscription', status: 'past_due', tenant: { tenantId: request.tenantId } },
      ]);
      await fake().payInvoice(subscriptionId);
      expect(received.slice(-2).map((e) => e.change)).toMatchObject([
        { kind: 'invoice', outcome: 'paid', invoice: { status: 'paid' } },
        { kind: 'subscription', status: 'active' },
      ]);
      await fake().cancelSubscription(subscriptionId);
      expect(received.at(-1)).toMatchObject({ type: 'customer.subscription.deleted', change: { status: 'canceled' } });

      // A quantity change at Stripe is told to the endpoint too, after the API answered.
      await provider().setQuantity(subscriptionId, 3, `qty-${request.tenantId}`);
      await fake().idle();
      expect(received.at(-1)?.change).toMatchObject({ kind: 'subscription', quantity: 3 });
      const custom = await fake().sendEvent('customer.deleted', { id: checkout.customerId, object: 'customer' });
      expect(custom.status).toBe(200);
      expect(received.at(-1)?.change).toEqual({ kind: 'customer-deleted', customerId: checkout.customerId });
    } finally {
      fake().setWebhookUrl(null);
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('reports an unreachable Stripe as a BillingProviderError', async () => {
    const closed = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
    await closed.close();
    const unreachable = provider({ STRIPE_API_URL: closed.url }).createPortal('cus_x', 'http://127.0.0.1:1/');
    await expect(unreachable).rejects.toMatchObject({ name: 'BillingProviderError', code: null, statusCode: null });
  });
});
