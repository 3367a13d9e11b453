import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { CheckoutRequest, ProviderEvent } from '../../src/billing/billing-provider.js';
import type { PlanPriceRow, PlanRow } from '../../src/billing/plans.repo.js';
import { storedStripeEventChange } from '../../src/billing/stripe/stripe-events.js';
import { createBillingProvider, type StripeProvider } from '../../src/billing/stripe/stripe-provider.js';
import { testConfig } from '../test-env.js';
import { type StripeFake, startStripeFake } from './stripe-fake.js';

/**
 * The Stripe provider's tests: the real Stripe SDK talks to a local fake of the Stripe API (STRIPE_API_URL → the
 * SDK's host, port and protocol). `useStripeFake()` starts the fake for a test file; the rest builds plans, prices
 * and checkout requests as the platform stores them.
 */

export const WEBHOOK_SECRET = 'whsec_testsecret0123456789';
let current: StripeFake | undefined;

function fake(): StripeFake {
  if (!current) throw new Error('useStripeFake() starts the fake in beforeAll');
  return current;
}

export function provider(overrides: Record<string, string> = {}): StripeProvider {
  const config = testConfig({
    STRIPE_SECRET_KEY: 'sk_test_fake123',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: fake().url,
    ...overrides,
  });
  const made = createBillingProvider(config);
  if (!made) throw new Error('Stripe is configured: a provider was expected');
  return made as StripeProvider;
}

/** An event as read from a webhook, with what the provider makes of it. */
export const withChange = (event: ProviderEvent) => ({ ...event, change: storedStripeEventChange(event.payload) });

export function plan(overrides: Partial<PlanRow> = {}): PlanRow {
  const now = new Date();
  return {
    code: `pro-${randomUUID().slice(0, 8)}`,
    name: 'Pro',
    description: 'For growing teams',
    visibility: 'public',
    sortOrder: 1,
    trialDays: 14,
    perUser: false,
    maxInstances: 3,
    memoryMb: 2048,
    cpuMillis: 2000,
    pids: 512,
    storageGb: 20,
    workers: 2,
    customDomains: true,
    odooVersions: null,
    backupRetention: { daily: 7, weekly: 4, monthly: 3 },
    manualBackupsPerDay: 3,
    providerProductId: null,
    syncedAt: null,
    syncError: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function price(
  planCode: string,
  interval: 'month' | 'year',
  unitAmount: number,
  overrides: Partial<PlanPriceRow> = {},
): PlanPriceRow {
  return {
    id: randomUUID(),
    planCode,
    interval,
    currency: 'eur',
    unitAmount,
    active: true,
    providerPriceId: null,
    createdAt: new Date(),
    ...overrides,
  };
}

/** The plan and prices as the caller stores them after a sync. */
export async function synced(p: PlanRow, prices: PlanPriceRow[]) {
  const result = await provider().syncPlan(p, prices);
  return {
    plan: { ...p, providerProductId: result.productId },
    prices: prices.map((row) => ({ ...row, providerPriceId: result.priceIds[row.id] ?? row.providerPriceId })),
  };
}

export function checkoutRequest(p: PlanRow, providerPriceId: string, overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  const tenantId = randomUUID();
  return {
    tenantId,
    tenantName: 'Acme',
    customerId: null,
    email: 'owner@acme.test',
    plan: p,
    price: { ...price(p.code, 'month', 1900), providerPriceId },
    quantity: 1,
    trialDays: 14,
    successUrl: 'http://127.0.0.1:1/billing?checkout=success',
    cancelUrl: 'http://127.0.0.1:1/billing?checkout=canceled',
    idempotencyKey: `checkout-${tenantId}-${providerPriceId}-${Math.floor(Date.now() / 60_000)}`,
    ...overrides,
  };
}

export const posts = (path: string) => fake().requests.filter((r) => r.method === 'POST' && r.path === path);

/** Starts the fake Stripe API before the file's tests and stops it after; returns it for the tests to read. */
export function useStripeFake(): () => StripeFake {
  beforeAll(async () => {
    current = await startStripeFake({ webhookSecret: WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return fake;
}
