import { describe, expect, it } from 'vitest';
import type { PlanPriceRow } from '../../src/billing/plans.repo.js';
import { createBillingProvider } from '../../src/billing/stripe/stripe-provider.js';
import { plan, posts, price, synced, useStripeFake } from '../support/stripe-provider.js';
import { testConfig } from '../test-env.js';

/**
 * The Stripe provider's plans: products and prices, synced with idempotency keys, made by the real Stripe SDK to a local fake of the Stripe API.
 */
const fake = useStripeFake();

describe('Stripe provider: plans', () => {
  it('is absent without Stripe keys (the manual provider)', () => {
    expect(createBillingProvider(testConfig())).toBeNull();
  });

  it('creates the product and its prices with idempotency keys, and a second sync creates nothing', async () => {
    const p = plan();
    const prices = [price(p.code, 'month', 1900), price(p.code, 'year', 19_000)];
    const first = await synced(p, prices);

    const product = fake().state.products.get(first.plan.providerProductId ?? '');
    expect(product).toMatchObject({ name: 'Pro', description: 'For growing teams', metadata: { planCode: p.code } });
    expect(posts('/v1/products').at(-1)?.idempotencyKey).toMatch(new RegExp(`^product-${p.code}-[0-9a-f]{16}$`));
    for (const row of first.prices) {
      expect(fake().state.prices.get(row.providerPriceId ?? '')).toMatchObject({
        product: product?.id,
        currency: 'eur',
        unit_amount: row.unitAmount,
        recurring: { interval: row.interval },
        metadata: { planCode: p.code, planPriceId: row.id },
        active: true,
      });
      expect(posts('/v1/prices').some((r) => r.idempotencyKey === `price-${row.id}`)).toBe(true);
    }

    const products = fake().state.products.size;
    const stripePrices = fake().state.prices.size;
    const creations = posts('/v1/products').length + posts('/v1/prices').length;
    const again = await synced({ ...first.plan, name: 'Pro 2' }, first.prices);
    expect(again.prices.map((r) => r.providerPriceId)).toEqual(first.prices.map((r) => r.providerPriceId));
    expect(posts('/v1/products').length + posts('/v1/prices').length).toBe(creations);
    expect(fake().state.products.get(first.plan.providerProductId ?? '')?.name).toBe('Pro 2');

    // A sync whose result was never saved (a crash) is replayed by Stripe from the keys: still one product, the same prices.
    const replayed = await synced(p, prices);
    expect(replayed.plan.providerProductId).toBe(first.plan.providerProductId);
    expect(replayed.prices.map((r) => r.providerPriceId)).toEqual(first.prices.map((r) => r.providerPriceId));
    expect([fake().state.products.size, fake().state.prices.size]).toEqual([products, stripePrices]);
  });

  it('makes a new Stripe price for a new price row and deactivates the old one', async () => {
    const p = plan({ description: '' });
    const first = await synced(p, [price(p.code, 'month', 1900)]);
    expect(fake().state.products.get(first.plan.providerProductId ?? '')?.description).toBeNull();
    const old = first.prices[0] as PlanPriceRow;
    const next = price(p.code, 'month', 2500);
    const second = await synced(first.plan, [{ ...old, active: false }, next]);

    const created = second.prices[1]?.providerPriceId ?? '';
    expect(created).not.toBe(old.providerPriceId);
    expect(fake().state.prices.get(created)).toMatchObject({ unit_amount: 2500, active: true });
    expect(fake().state.prices.get(old.providerPriceId ?? '')).toMatchObject({ unit_amount: 1900, active: false });
  });
});
