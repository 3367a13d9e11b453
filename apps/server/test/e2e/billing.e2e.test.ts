import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, STRONG_PASSWORD, type TestUser, uniqueEmail } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { type StripeFake, startStripeFake } from '../support/stripe-fake.js';
import { heading, logIn, mailLink, reportPageOnFailure, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * Paying for a plan, in Chromium, through nginx, against the real API and worker with Stripe configured
 * against the local Stripe fake (its hosted checkout and portal pages included): pricing → plan choice
 * carried through the sign-up → email confirmation → billing page → (fake) checkout → the webhooks,
 * processed by the worker → back on the billing page with the subscription active and its invoice.
 */

const WEBHOOK_SECRET = 'whsec_e2eBillingSecret';

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let fake: StripeFake;

const id = randomUUID().slice(0, 6);
const plan = { code: `e2e-pro-${id}`, name: `Pro ${id}` };

beforeAll(async () => {
  fake = await startStripeFake({ webhookSecret: WEBHOOK_SECRET, webhookUrl: null });
  [stack, browser] = await Promise.all([
    startE2eStack({ env: { STRIPE_SECRET_KEY: 'sk_test_e2eBilling', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: fake.url } }),
    launchBrowser(),
  ]);
  // Stripe posts its webhooks to the public address, as it would in production (nginx → API).
  fake.setWebhookUrl(`${stack.webUrl}/api/v1/billing/stripe/webhook`);

  // A paid public plan, saved by an operator through the admin API (and so synced to the fake Stripe).
  const operator = await createUser(stack.h, { label: 'billing-operator', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(operator.userId, { platformRole: 'admin' });
  const saved = await call(stack.h.app, 'PUT', `/api/v1/admin/plans/${plan.code}`, {
    client: operator,
    body: {
      name: plan.name,
      description: 'For growing teams.',
      visibility: 'public',
      maxInstances: 3,
      memoryMb: 1024,
      cpuMillis: 1000,
      pids: 300,
      storageGb: 20,
      workers: 2,
      customDomains: true,
      prices: { month: 2900, year: 29000 },
    },
  });
  expect(saved.statusCode, saved.body).toBe(200);
  expect(saved.json().syncError).toBeNull();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await fake?.close();
});

describe('choosing and paying for a plan, end to end', () => {
  const owner = { name: 'Bea Buyer', email: uniqueEmail('buyer'), organization: `Bea Trading ${id}` };
  let context: BrowserContext;
  let page: Page;
  let tenantId: string;

  beforeAll(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  beforeEach(() => reportPageOnFailure(() => page));
  afterAll(() => context?.close());

  it('shows the plan on the public pricing page, monthly and yearly, and carries the choice into the sign-up', async () => {
    await page.goto(`${stack.webUrl}/pricing`);
    await visible(heading(page, 'Pricing'));
    const card = page.getByRole('article', { name: plan.name });
    await visible(card.getByText('€29.00 / month'));
    await visible(card.getByText('3 Odoo instances'));
    await visible(card.getByText('Custom domains'));
    const period = page.getByLabel('Billing period');
    await period.getByText('Yearly', { exact: true }).click();
    await visible(card.getByText('€290.00 / year'));
    await period.getByText('Monthly', { exact: true }).click();
    await card.getByRole('button', { name: `Choose ${plan.name}` }).click();

    // The sign-up shows the chosen plan, and keeps it in the address for the login that follows.
    await visible(heading(page, 'Create your account'));
    const url = new URL(page.url());
    expect(url.pathname).toBe('/signup');
    expect(Object.fromEntries(url.searchParams)).toEqual({ plan: plan.code, interval: 'month', next: '/billing' });
    await until(
      () => page.getByRole('combobox', { name: 'Plan' }).inputValue(),
      (v) => v === plan.name,
      'the chosen plan is selected',
    );
    await visible(page.getByText('€29.00 / month', { exact: false }));

    await page.getByRole('textbox', { name: 'Your name' }).fill(owner.name);
    await page.getByRole('textbox', { name: 'Email' }).fill(owner.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('textbox', { name: 'Organization' }).fill(owner.organization);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await visible(page.getByRole('status').filter({ hasText: `We sent a message to ${owner.email}` }));
  });

  it('confirms the address from the mail, logs in and lands on billing, asked to complete the subscription', async () => {
    // The mail's link, opened in another tab as people do; then back to "check your inbox" to log in.
    const verifyLink = await mailLink(stack.h.app, owner.email, 'Confirm');
    const tab = await context.newPage();
    await tab.goto(verifyLink);
    await visible(tab.getByText('Email verified'));
    await tab.close();

    await page.getByRole('link', { name: 'Log in' }).click();
    await logIn(page, owner.email, STRONG_PASSWORD);
    await visible(heading(page, `Billing of ${owner.organization}`));
    const complete = await visible(page.getByRole('status').filter({ hasText: 'Complete your subscription' }));
    await visible(complete.getByText(`You chose the ${plan.name} plan, billed monthly.`));
    const me = await page.evaluate(() => localStorage.getItem('saas.chosenPlan'));
    expect(JSON.parse(me ?? 'null')).toEqual({ plan: plan.code, interval: 'month' });
  });

  it('pays on the (fake) Stripe checkout and comes back to an active subscription with its invoice', async () => {
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await until(
      async () => page.url(),
      (u) => u.startsWith(`${fake.url}/checkout/`),
      'the browser is sent to the Stripe checkout',
    );
    await visible(page.getByRole('heading', { name: 'Fake Stripe Checkout' }));
    await visible(page.getByText('29.00 EUR / month'));
    // The session was made for this tenant, with the plan's synced price.
    const session = [...fake.state.sessions.values()].at(-1);
    tenantId = session?.client_reference_id ?? '';
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(session?.line_items).toHaveLength(1);

    await page.getByRole('button', { name: 'Pay' }).click();
    await until(
      async () => page.url(),
      (u) => u === `${stack.webUrl}/billing?checkout=success`,
      'the checkout returns to the billing page',
    );
    // The webhooks (checkout completed, subscription created, invoice finalized and paid) reach the
    // worker through the API; the page polls until the subscription is on and its invoice listed.
    await visible(page.getByRole('status').filter({ hasText: 'Subscription active' }), 30_000);
    const summary = page.getByRole('main');
    await visible(summary.getByText('Active', { exact: true }));
    await visible(summary.getByText(plan.name, { exact: true }).first());
    const invoices = page.getByRole('region', { name: 'Invoices', exact: true });
    const row = invoices.getByRole('row').filter({ hasText: '€29.00' });
    await visible(row.getByText('Paid', { exact: true }));
    const view = row.getByRole('link', { name: /^View/ });
    expect((await view.getAttribute('href'))?.startsWith(`${fake.url}/invoices/`)).toBe(true);
    // The "complete your subscription" call is gone, and with it the remembered choice.
    expect(await page.getByText('Complete your subscription').count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem('saas.chosenPlan'))).toBeNull();
  });

  it('agrees with the API: the tenant is on the plan, active, with no billing notice', async () => {
    const client: Pick<TestUser, 'ip' | 'token'> = await loginAs(owner.email);
    const billing = await call(stack.h.app, 'GET', `/api/v1/tenants/${tenantId}/billing`, { client });
    expect(billing.statusCode, billing.body).toBe(200);
    expect(billing.json()).toMatchObject({
      provider: 'stripe',
      status: 'active',
      plan: { code: plan.code },
      portalAvailable: true,
      notices: [],
    });
  });

  it('opens the Stripe portal from "Manage billing" and returns to the billing page', async () => {
    await page.getByRole('button', { name: 'Manage billing' }).click();
    await until(
      async () => page.url(),
      (u) => u.startsWith(`${fake.url}/portal/`),
      'the browser is sent to the Stripe portal',
    );
    await page.getByRole('link', { name: 'Return' }).click();
    await visible(heading(page, `Billing of ${owner.organization}`));
  });

  it('marks the plan as the current one on the pricing page once subscribed', async () => {
    await page.goto(`${stack.webUrl}/pricing`);
    const card = page.getByRole('article', { name: plan.name });
    await visible(card.getByText('Current plan'));
    expect(await card.getByRole('button', { name: 'Your plan' }).isDisabled()).toBe(true);
  });

  it('shows a canceled subscription on every page, and its instance suspended with start disabled', async () => {
    const client = await loginAs(owner.email);
    const fixture = await insertInstanceRow(stack.h, tenantId, 'stopped');
    const subscription = [...fake.state.subscriptions.values()].find((s) => s.metadata.tenantId === tenantId);
    if (!subscription) throw new Error('no subscription for the tenant in the fake');
    // Canceled in Stripe: the webhook reaches the worker, whose enforcement suspends the instances at once.
    await fake.cancelSubscription(subscription.id);
    await until(
      async () => (await call(stack.h.app, 'GET', `/api/v1/instances/${fixture.id}`, { client })).json().suspended,
      (suspended) => suspended === true,
      'the instance is suspended',
      30_000,
    );

    await page.goto(`${stack.webUrl}/instances/${fixture.id}`);
    const banner = await visible(page.getByRole('region', { name: 'Billing notices' }).getByRole('status'));
    await visible(banner.getByText('Subscription canceled'));
    await visible(banner.getByText(/your instances are suspended/));
    await visible(page.getByText('Suspended', { exact: true }));
    expect(await page.getByRole('button', { name: 'Start', exact: true }).isDisabled()).toBe(true);
    await visible(page.getByText('Suspended because the subscription is unpaid.'));
    await banner.getByRole('link', { name: 'Subscribe again' }).click();
    await visible(heading(page, `Billing of ${owner.organization}`));
    await visible(page.getByText('Canceled', { exact: true }));
  });

  it('subscribing again from the billing page resumes the instance', async () => {
    const client = await loginAs(owner.email);
    // Without a subscription the page offers the plans straight away.
    const picker = await visible(page.getByRole('region', { name: 'Choose a plan' }));
    // Yearly this time. (The same price again within the same minute would reuse the first checkout's
    // idempotency key, and Stripe would answer with that completed session.)
    await picker.getByLabel('Billing period').getByText('Yearly', { exact: true }).click();
    await picker
      .getByRole('article', { name: plan.name })
      .getByRole('button', { name: `Choose ${plan.name}` })
      .click();
    await visible(page.getByRole('heading', { name: 'Fake Stripe Checkout' }));
    await visible(page.getByText('290.00 EUR / year'));
    await page.getByRole('button', { name: 'Pay' }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Subscription active' }), 30_000);
    await visible(page.getByText('€290.00 / year', { exact: false }).first());
    await until(
      async () => (await call(stack.h.app, 'GET', `/api/v1/tenants/${tenantId}/instances`, { client })).json() as { suspended: boolean }[],
      (list) => list.length > 0 && list.every((i) => !i.suspended),
      'the instances are resumed',
      30_000,
    );
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await visible(heading(page, 'Instances'));
    expect(await page.getByText('Suspended', { exact: true }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Billing notices' }).count()).toBe(0);
  });
});

async function loginAs(email: string) {
  const ip = '10.77.0.1';
  const login = await call(stack.h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password: STRONG_PASSWORD } });
  expect(login.statusCode, login.body).toBe(200);
  return { ip, token: login.json().accessToken as string };
}
