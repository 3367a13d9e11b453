import type { SubscriptionStatus } from './billing.tables.js';
import type { PlanPriceRow, PlanRow } from './plans.repo.js';

/**
 * The outside billing system (Stripe), behind one interface like the engine and the edge. Every call
 * that creates something carries an idempotency key, so a retried request never makes it twice.
 * Provider errors are thrown as BillingProviderError (a problem-details 502 for the user).
 */
export interface BillingProvider {
  readonly kind: 'stripe';
  /**
   * Makes the provider's product for the plan (or updates its name/description) and a provider price for
   * every given price that has none yet; deactivates provider prices of prices no longer active.
   */
  syncPlan(plan: PlanRow, prices: PlanPriceRow[]): Promise<PlanSyncResult>;
  /** A hosted checkout page in subscription mode; the customer is made first when the tenant has none. */
  createCheckout(request: CheckoutRequest): Promise<{ sessionId: string; url: string; customerId: string }>;
  /** The hosted self-service portal (payment methods, invoices, cancellation, prorated plan changes). */
  createPortal(customerId: string, returnUrl: string): Promise<{ url: string }>;
  /** Sets the subscription's quantity (per-user pricing), prorated. */
  setQuantity(subscriptionId: string, quantity: number, idempotencyKey: string): Promise<void>;
  /** Ends the subscription now, without proration or a final invoice; ending one already ended is a no-op. */
  cancelSubscription(subscriptionId: string, idempotencyKey: string): Promise<void>;
  /**
   * Checks a webhook's signature on its raw body and reads it. Throws WebhookSignatureError when the
   * signature is missing, wrong or stale; never returns an event it could not verify.
   */
  readWebhook(rawBody: Buffer, signature: string | undefined): ProviderEvent;
}

export interface PlanSyncResult {
  productId: string;
  /** Provider ids of the prices given, by our price id. */
  priceIds: Record<string, string>;
}

export interface CheckoutRequest {
  tenantId: string;
  tenantName: string;
  /** The tenant's customer at the provider, if it has one already. */
  customerId: string | null;
  /** The owner's address, for a new customer. */
  email: string;
  plan: PlanRow;
  price: PlanPriceRow & { providerPriceId: string };
  quantity: number;
  /** Trial days to apply (0: none; a tenant that already had a trial gets none). */
  trialDays: number;
  successUrl: string;
  cancelUrl: string;
  idempotencyKey: string;
}

/** A verified webhook event, as stored; what it means is read from the payload when it is processed (stripe/stripe-events.ts). */
export interface ProviderEvent {
  id: string;
  type: string;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

export interface InvoiceFacts {
  providerInvoiceId: string;
  number: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  currency: string;
  amountDue: number;
  amountPaid: number;
  hostedUrl: string | null;
  pdfUrl: string | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  paidAt: Date | null;
}

/** Which tenant a change is about: our id when the provider echoes it (metadata), else its customer. */
export interface TenantRef {
  tenantId: string | null;
  customerId: string | null;
}

/**
 * What a provider event means, in the platform's terms. The billing service applies these, whoever
 * they come from: Stripe's webhooks, or the admin's manual actions.
 */
export type BillingChange =
  | { kind: 'checkout-completed'; tenant: TenantRef; customerId: string; subscriptionId: string | null }
  | {
      kind: 'subscription';
      tenant: TenantRef;
      subscriptionId: string;
      customerId: string;
      status: Exclude<SubscriptionStatus, 'none'>;
      /** The provider's price id: the plan and interval follow from it. */
      providerPriceId: string | null;
      quantity: number;
      trialEndsAt: Date | null;
      currentPeriodEnd: Date | null;
      cancelAtPeriodEnd: boolean;
    }
  | { kind: 'trial-will-end'; tenant: TenantRef; subscriptionId: string; trialEndsAt: Date | null }
  | {
      kind: 'invoice';
      tenant: TenantRef;
      subscriptionId: string | null;
      outcome: 'paid' | 'payment-failed' | 'finalized';
      invoice: InvoiceFacts;
    }
  | { kind: 'customer-deleted'; customerId: string }
  /** An event type the platform does not act on: stored and acknowledged. */
  | { kind: 'ignored' };

/** The provider refused or could not be reached; `code` is its error code when it gave one. */
export class BillingProviderError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly statusCode: number | null,
  ) {
    super(message);
    this.name = 'BillingProviderError';
  }
}

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}
