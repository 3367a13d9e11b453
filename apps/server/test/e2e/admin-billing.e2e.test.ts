import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { billingEvents } from '../../src/billing/billing.tables.js';
import { call, createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { axe, heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * The operators' billing screens in Chromium against the real API and worker, with the manual provider
 * (no Stripe keys): the plan catalog and the Billing page's tabs pass axe (no serious or critical
 * violation), and an admin sets a manual tenant's subscription to past due, then records its payment.
 */

const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;
let tenant: TestUser;
const tenantName = () => `Org of ${tenant.email}`;
const plan = { code: `e2e-admin-${Date.now().toString(36)}`, name: 'Admin e2e plan' };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  admin = await createUser(stack.h, { label: 'billing-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  tenant = await createUser(stack.h, { label: 'billing-tenant', verify: 'direct' });
  const saved = await call(stack.h.app, 'PUT', `/api/v1/admin/plans/${plan.code}`, {
    client: admin,
    body: {
      name: plan.name,
      maxInstances: 2,
      memoryMb: 1024,
      cpuMillis: 1000,
      pids: 300,
      storageGb: 10,
      workers: 2,
      prices: { month: 2900, year: 29000 },
    },
  });
  expect(saved.statusCode, saved.body).toBe(200);
  // A paying tenant, so revenue and its subscription's monthly amount are not zero.
  const moved = await call(stack.h.app, 'PUT', `/api/v1/admin/tenants/${tenant.tenantId}/plan`, {
    client: admin,
    body: { planCode: plan.code },
  });
  expect(moved.statusCode, moved.body).toBe(200);
  context = await browser.newContext({ reducedMotion: 'reduce' });
  page = await context.newPage();
}, 90_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

/**
 * Serious and critical axe violations (WCAG 2.1 A/AA and best practices) on the page as it is now.
 * With SCREENSHOTS_DIR set, the page is also saved there as admin-<name>.png.
 */
async function seriousViolations(name: string): Promise<string[]> {
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  if (SCREENSHOTS_DIR) await page.screenshot({ path: join(SCREENSHOTS_DIR, `admin-${name}.png`), fullPage: true });
  const result = await axe(page).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
}

async function subscriptionStatus(): Promise<string> {
  const res = await call(stack.h.app, 'GET', `/api/v1/tenants/${tenant.tenantId}/billing`, { client: tenant });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().status;
}

describe('admin billing pages', () => {
  beforeEach(() => reportPageOnFailure(() => page));

  it('logs in and shows the plan catalog with prices and sync state', async () => {
    await page.goto(`${stack.adminUrl}/login?next=/plans`);
    await logIn(page, admin.email, STRONG_PASSWORD);
    await visible(heading(page, 'Plans'));
    const row = page.getByRole('region', { name: 'Plans' }).getByRole('row', { name: new RegExp(plan.code) });
    await visible(row.getByText(/29\.00.*\/ month/));
    // The manual provider syncs nothing.
    await visible(row.getByText('Not synced'));
    expect(await seriousViolations('plans')).toEqual([]);

    await row.getByRole('button', { name: `Edit plan ${plan.name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Edit plan ${plan.name}` });
    await visible(dialog.getByText(/existing subscribers keep the price/i));
    expect(await dialog.getByRole('textbox', { name: /Monthly price/ }).inputValue()).toMatch(/^29(\.00?)?$/);
    expect(await seriousViolations('plan-form')).toEqual([]);
    // A new monthly price, typed in euros: saved in cents as a new price, the old one kept for its subscribers.
    await dialog.getByRole('textbox', { name: /Monthly price/ }).fill('35.5');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await visible(page.getByText('Its instances are getting the new limits.'));
    await visible(row.getByText(/35\.50.*\/ month/));
    await row.getByText('Earlier prices', { exact: true }).click();
    await visible(row.getByText(/29\.00.*\/ month/));
    const saved = await call(stack.h.app, 'GET', '/api/v1/admin/plans', { client: admin });
    const prices = (saved.json() as { code: string; prices: { interval: string; unitAmount: number; active: boolean }[] }[]).find(
      (p) => p.code === plan.code,
    )?.prices;
    expect(prices?.filter((p) => p.interval === 'month').map((p) => [p.unitAmount, p.active])).toEqual(
      expect.arrayContaining([
        [3550, true],
        [2900, false],
      ]),
    );
  });

  it('shows every tab of the Billing page without serious accessibility violations', async () => {
    // The overview's MRR figure leads to the Billing page.
    await page.goto(`${stack.adminUrl}/`);
    await visible(heading(page, 'Overview'));
    await visible(page.getByText('MRR', { exact: true }));
    expect(await seriousViolations('overview')).toEqual([]);
    await page.getByRole('link', { name: 'View billing' }).click();
    await visible(heading(page, 'Billing'));
    await visible(page.getByText(/^(Paying subscriptions|No revenue yet)$/).first());
    const found: Record<string, string[]> = {};
    found.revenue = await seriousViolations('billing-revenue');
    for (const [tab, empty] of [
      ['Subscriptions', 'No subscriptions'],
      ['Failed payments', 'No failed payments'],
      ['Webhook events', 'No webhook events'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      const panel = page.getByRole('tabpanel', { name: tab });
      // The list, or its empty state when this database has none.
      await visible(panel.getByRole('region', { name: tab }).or(panel.getByText(empty)));
      if (tab === 'Subscriptions') {
        const row = panel.getByRole('row', { name: new RegExp(tenant.email) });
        await visible(row.getByText('€29.00'));
      }
      found[tab] = await seriousViolations(`billing-${tab.toLowerCase().replace(' ', '-')}`);
    }
    expect(found).toEqual({ revenue: [], Subscriptions: [], 'Failed payments': [], 'Webhook events': [] });
  });

  it('sets a manual tenant past due, then records its payment, from the Tenants page', async () => {
    const before = await subscriptionStatus();
    expect(['active', 'trialing', 'none']).toContain(before);
    await page.goto(`${stack.adminUrl}/tenants?q=${encodeURIComponent(tenantName())}`);
    await visible(heading(page, 'Tenants'));
    await visible(page.getByRole('row', { name: new RegExp(tenant.email) }).getByText('Manual'));
    expect(await seriousViolations('tenants')).toEqual([]);

    await page.getByRole('button', { name: `Set state of ${tenantName()}` }).click();
    const setState = page.getByRole('dialog');
    await setState.getByLabel('New state').click();
    await page.getByRole('option', { name: 'Past due' }).click();
    await setState.getByLabel('Reason').fill('Bank transfer bounced');
    expect(await seriousViolations('set-state')).toEqual([]);
    await setState.getByRole('button', { name: 'Continue' }).click();
    await visible(setState.getByText(/after the grace period its instances are suspended/));
    await setState.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText('Subscription changed'));
    await until(subscriptionStatus, (s) => s === 'past_due', 'the subscription to be past due');

    await page.getByRole('button', { name: `Record payment from ${tenantName()}` }).click();
    const payment = page.getByRole('dialog');
    await payment.getByLabel(/Amount/).fill('29');
    await payment.getByLabel('Reference').fill('TRX-2026-001');
    await payment.getByRole('button', { name: 'Continue' }).click();
    await visible(payment.getByText(/29\.00.*TRX-2026-001/));
    await payment.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText('Payment recorded'));
    await until(subscriptionStatus, (s) => s === 'active', 'the subscription to be active again');
  });

  it('retries a failed webhook event after a confirmation, and the worker processes it', async () => {
    // An event that failed earlier (as the queue leaves one after its last attempt), about a customer
    // the platform does not know: processed again, it is kept as ignored.
    const id = `evt_e2e_${Date.now().toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    await stack.h.platform.db.insert(billingEvents).values({
      id,
      provider: 'stripe',
      type: 'customer.deleted',
      occurredAt: new Date(created * 1000),
      payload: { id, object: 'event', type: 'customer.deleted', created, data: { object: { id: 'cus_e2eUnknown', object: 'customer' } } },
      status: 'failed',
      attempts: 8,
      error: 'connect ECONNREFUSED (an earlier outage)',
    });
    await page.goto(`${stack.adminUrl}/billing?tab=events&status=failed`);
    const row = page.getByRole('row', { name: new RegExp(id) });
    await visible(row.getByText('connect ECONNREFUSED (an earlier outage)'));
    await row.getByRole('button', { name: `Retry event customer.deleted ${id}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry event customer.deleted?' });
    expect(await seriousViolations('retry-event')).toEqual([]);
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await visible(page.getByText(/The event is queued again; the list refreshes/));
    const [event] = await until(
      () => stack.h.platform.db.select().from(billingEvents).where(eq(billingEvents.id, id)),
      (rows) => rows[0]?.status === 'ignored',
      'the retried event to be processed',
    );
    expect(event?.attempts).toBe(9);
    // Filtered on failed events, the list no longer holds it once refreshed.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await row.waitFor({ state: 'detached' });
  });

  it('shows support staff the same pages without any control that changes billing', async () => {
    const support = await createUser(stack.h, { label: 'billing-support', verify: 'direct' });
    await new UsersRepository(stack.h.platform.db).update(support.userId, { platformRole: 'support' });
    const supportContext = await browser.newContext();
    const supportPage = await supportContext.newPage();
    try {
      await supportPage.goto(`${stack.adminUrl}/login?next=/plans`);
      await logIn(supportPage, support.email, STRONG_PASSWORD);
      await visible(heading(supportPage, 'Plans'));
      await visible(supportPage.getByRole('region', { name: 'Plans' }).getByRole('row', { name: new RegExp(plan.code) }));
      expect(await supportPage.getByRole('button', { name: /^(New plan|Edit plan|Retry sync)/ }).count()).toBe(0);

      await supportPage.goto(`${stack.adminUrl}/billing?tab=subscriptions`);
      await visible(supportPage.getByText('Your support role can view this page but not change it.'));
      const row = supportPage.getByRole('row', { name: new RegExp(tenant.email) });
      await visible(row.getByText('€29.00'));
      expect(await supportPage.getByRole('button', { name: /^(Set state|Record payment)/ }).count()).toBe(0);

      await supportPage.goto(`${stack.adminUrl}/tenants?q=${encodeURIComponent(tenantName())}`);
      await visible(supportPage.getByRole('row', { name: new RegExp(tenant.email) }).getByText(/Manual/));
      expect(await supportPage.getByRole('button', { name: /^(Change plan|Set state|Record payment)/ }).count()).toBe(0);
    } finally {
      await supportContext.close();
    }
  });
});
