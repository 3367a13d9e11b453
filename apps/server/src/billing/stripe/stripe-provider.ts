import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import type { BillingConfig, Config } from '../../config/config.js';
import {
  type BillingProvider,
  BillingProviderError,
  type CheckoutRequest,
  type PlanSyncResult,
  type ProviderEvent,
  WebhookSignatureError,
} from '../billing-provider.js';
import type { PlanPriceRow, PlanRow } from '../plans.repo.js';

export type StripeSettings = NonNullable<BillingConfig['stripe']>;

/** The SDK's host/port/protocol for STRIPE_API_URL (tests and mock servers); Stripe's own API when unset. */
export function stripeEndpoint(apiUrl: string | null): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

const digest = (parts: string[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);

/** Runs one SDK call and turns its failure into the provider error the HTTP layer shows as a 502. */
async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) {
      throw new BillingProviderError(`Stripe: ${what} failed: ${err.message}`, err.code ?? null, err.statusCode ?? null);
    }
    throw new BillingProviderError(`Stripe: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, null, null);
  }
}

/**
 * Stripe behind the BillingProvider interface. Requests that create something carry our own idempotency
 * keys (derived from what they create), so a retried sync or checkout never makes a second object; the SDK
 * adds keys of its own to the rest and retries network failures and 5xx answers.
 */
export class StripeProvider implements BillingProvider {
  readonly kind = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly settings: StripeSettings) {
    this.stripe = new Stripe(settings.secretKey, {
      ...stripeEndpoint(settings.apiUrl),
      maxNetworkRetries: 2,
      // Calls run inside the user's request: with two retries the worst case stays well under the edge's 60 s.
      timeout: 10_000,
      telemetry: false,
      appInfo: { name: 'odoo-saas-platform' },
    });
  }

  async syncPlan(plan: PlanRow, prices: PlanPriceRow[]): Promise<PlanSyncResult> {
    const metadata = { planCode: plan.code };
    let productId = plan.providerProductId;
    if (productId) {
      const id = productId;
      // An empty description unsets it (Stripe refuses an empty one at creation, hence undefined there).
      await call('updating the product', () =>
        this.stripe.products.update(id, { name: plan.name, description: plan.description, metadata }),
      );
    } else {
      const product = await call('creating the product', () =>
        this.stripe.products.create(
          { name: plan.name, description: plan.description || undefined, metadata },
          // Stripe refuses a key reused with other parameters (24 h): the key names what is sent.
          { idempotencyKey: `product-${plan.code}-${digest([plan.name, plan.description])}` },
        ),
      );
      productId = product.id;
    }
    const priceIds: Record<string, string> = {};
    for (const price of prices) {
      if (price.providerPriceId) {
        priceIds[price.id] = price.providerPriceId;
        if (!price.active) {
          const id = price.providerPriceId;
          // Existing subscribers keep an inactive price; it is only no longer offered.
          await call('deactivating a price', () => this.stripe.prices.update(id, { active: false }));
        }
        continue;
      }
      // A price that was never synced and is already replaced has no subscriber to keep: nothing to make.
      if (!price.active) continue;
      const product = productId;
      const created = await call('creating a price', () =>
        this.stripe.prices.create(
          {
            product,
            currency: price.currency,
            unit_amount: price.unitAmount,
            recurring: { interval: price.interval },
            metadata: { ...metadata, planPriceId: price.id },
          },
          { idempotencyKey: `price-${price.id}` },
        ),
      );
      priceIds[price.id] = created.id;
    }
    return { productId, priceIds };
  }

  async createCheckout(request: CheckoutRequest): Promise<{ sessionId: string; url: string; customerId: string }> {
    const metadata = { tenantId: request.tenantId, planCode: request.plan.code };
    let customerId = request.customerId;
    if (!customerId) {
      const customer = await call('creating the customer', () =>
        this.stripe.customers.create(
          { email: request.email, name: request.tenantName, metadata: { tenantId: request.tenantId } },
          { idempotencyKey: `${request.idempotencyKey}-customer` },
        ),
      );
      customerId = customer.id;
    }
    const customer = customerId;
    const session = await call('creating the checkout session', () =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer,
          client_reference_id: request.tenantId,
          line_items: [{ price: request.price.providerPriceId, quantity: request.quantity }],
          metadata,
          subscription_data: {
            metadata,
            ...(request.trialDays > 0 ? { trial_period_days: request.trialDays } : {}),
          },
          // Stripe Tax needs the customer's address: Checkout collects it and saves it on the customer.
          ...(this.settings.tax ? { automatic_tax: { enabled: true }, customer_update: { address: 'auto' as const } } : {}),
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    if (!session.url) throw new BillingProviderError('Stripe: the checkout session has no URL', null, null);
    return { sessionId: session.id, url: session.url, customerId: customer };
  }

  async createPortal(customerId: string, returnUrl: string): Promise<{ url: string }> {
    const session = await call('opening the customer portal', () =>
      this.stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }),
    );
    return { url: session.url };
  }

  async setQuantity(subscriptionId: string, quantity: number, idempotencyKey: string): Promise<void> {
    const subscription = await call('reading the subscription', () => this.stripe.subscriptions.retrieve(subscriptionId));
    const item = subscription.items.data[0];
    if (!item) throw new BillingProviderError(`Stripe: subscription ${subscriptionId} has no item`, null, null);
    if (item.quantity === quantity) return;
    await call('updating the quantity', () =>
      this.stripe.subscriptions.update(
        subscriptionId,
        { items: [{ id: item.id, quantity }], proration_behavior: 'create_prorations' },
        { idempotencyKey },
      ),
    );
  }

  async cancelSubscription(subscriptionId: string, idempotencyKey: string): Promise<void> {
    const subscription = await call('reading the subscription', () => this.stripe.subscriptions.retrieve(subscriptionId));
    if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') return;
    await call('canceling the subscription', () =>
      this.stripe.subscriptions.cancel(subscriptionId, { invoice_now: false, prorate: false }, { idempotencyKey }),
    );
  }

  readWebhook(rawBody: Buffer, signature: string | undefined): ProviderEvent {
    if (!signature) throw new WebhookSignatureError('the Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      // Checks the HMAC over the exact bytes received and refuses timestamps older than 5 minutes (replays).
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.settings.webhookSecret);
    } catch (err) {
      throw new WebhookSignatureError(err instanceof Error ? err.message : String(err));
    }
    return {
      id: event.id,
      type: event.type,
      occurredAt: new Date(event.created * 1000),
      payload: event as unknown as Record<string, unknown>,
    };
  }
}

/** Stripe when its keys are configured; null means the manual provider (the admin records payments). */
export function createBillingProvider(config: Config): BillingProvider | null {
  return config.billing.stripe ? new StripeProvider(config.billing.stripe) : null;
}
