import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createUser, STRONG_PASSWORD, signUpAndLogIn, type TestUser } from '../harness.js';
import { type InstanceDto, waitForStatus } from '../support/instances.js';
import { axe, logIn, visible } from './pages.js';
import { DESKTOP, type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * The main pages of the tenant app, checked with axe-core (WCAG 2.1 A/AA rules) at desktop and
 * phone widths: no `serious` or `critical` violation. With SCREENSHOTS_DIR set (npm run screenshots),
 * each page is also saved there as <page>-desktop.png and <page>-phone.png.
 */

const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;
const VIEWPORTS = { desktop: DESKTOP, phone: PHONE } as const;

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let user: TestUser & { name: string };
let instance: InstanceDto;

/**
 * The account the pages show. For screenshots (a fresh database of their own) it has stable, readable
 * names; in the test run, unique ones.
 */
async function signUp(): Promise<TestUser & { name: string }> {
  if (!SCREENSHOTS_DIR) return { ...(await createUser(stack.h, { label: 'a11y' })), name: 'Test User' };
  const name = 'Ada Lovelace';
  const person = { email: 'ada@acme.example', name, organization: 'Acme Trading', ip: '10.9.9.9' };
  return { ...(await signUpAndLogIn(stack.h, person, 'mail')), name };
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  user = await signUp();
  const slug = SCREENSHOTS_DIR ? 'acme-trading' : `acme-${randomUUID().slice(0, 8)}`;
  const created = await call(stack.h.app, 'POST', `/api/v1/tenants/${user.tenantId}/instances`, {
    client: user,
    body: { name: 'Acme Trading', slug, version: '18.0' },
  });
  expect(created.statusCode, created.body).toBe(202);
  // A pending invitation, so the team page shows its table.
  const invited = await call(stack.h.app, 'POST', `/api/v1/tenants/${user.tenantId}/invitations`, {
    client: user,
    body: { email: SCREENSHOTS_DIR ? 'grace@acme.example' : `grace-${randomUUID().slice(0, 8)}@example.com`, role: 'member' },
  });
  expect(invited.statusCode, invited.body).toBe(201);
  instance = await waitForStatus(stack.h, user, (created.json() as InstanceDto).id, ['running', 'failed'], 120_000);
  expect(instance.status, instance.lastError ?? '').toBe('running');
  if (SCREENSHOTS_DIR) await mkdir(SCREENSHOTS_DIR, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface Finding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** Serious and critical axe violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<Finding[]> {
  const result = await axe(page).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`),
    }));
}

/** Waits until the page has settled: its heading is there, nothing is loading, fonts are in. */
async function settle(page: Page, headingName: string | RegExp) {
  await visible(page.getByRole('heading', { name: headingName, level: 1 }));
  await page
    .getByText(/^Loading/)
    .first()
    .waitFor({ state: 'hidden' })
    .catch(() => undefined);
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  await page.evaluate('document.fonts.ready');
}

/** Checks the page at both widths (and saves its screenshots when asked). */
async function checkPage(page: Page, name: string, headingName: string | RegExp) {
  const findings: Record<string, Finding[]> = {};
  for (const [width, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(300);
    await settle(page, headingName);
    const found = await seriousViolations(page);
    if (found.length) findings[width] = found;
    if (SCREENSHOTS_DIR) await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  return findings;
}

describe('accessibility of the main pages (axe-core, WCAG 2.1 AA)', () => {
  let context: BrowserContext;
  let page: Page;
  const results: Record<string, Record<string, Finding[]>> = {};

  beforeAll(async () => {
    context = await browser.newContext({ reducedMotion: 'reduce' });
    page = await context.newPage();
  });
  afterAll(() => context?.close());

  it('login, sign-up, pricing and the admin dashboard’s login', async () => {
    await page.goto(`${stack.webUrl}/signup`);
    results.signup = await checkPage(page, 'signup', 'Create your account');
    // The public pricing page, and the sign-up with a plan chosen there.
    await page.goto(`${stack.webUrl}/pricing`);
    results.pricing = await checkPage(page, 'pricing', 'Pricing');
    await page.goto(`${stack.webUrl}/signup?plan=starter&interval=month`);
    results.signupWithPlan = await checkPage(page, 'signup-plan', 'Create your account');
    await page.goto(`${stack.webUrl}/login`);
    results.login = await checkPage(page, 'login', 'Log in');
    // The admin dashboard's login, on its own host name through the same nginx.
    await page.goto(`${stack.adminUrl}/login`);
    results.adminLogin = await checkPage(page, 'admin-login', 'Operator login');
    expect(results).toEqual({ signup: {}, pricing: {}, signupWithPlan: {}, login: {}, adminLogin: {} });
  });

  it('dashboard, onboarding, instances, instance, team, billing and account', async () => {
    await page.goto(`${stack.webUrl}/login`);
    await logIn(page, user.email, STRONG_PASSWORD);
    await visible(page.getByRole('heading', { name: /^Welcome/, level: 1 }));
    const pages: [name: string, path: string, heading: string | RegExp][] = [
      ['dashboard', '/', /^Welcome/],
      ['onboarding', '/instances/new', 'New instance'],
      ['instances', '/instances', 'Instances'],
      ['instance-ready', `/instances/${instance.id}/setup`, /Acme Trading/],
      ['instance', `/instances/${instance.id}`, /Acme Trading/],
      ['team', '/team', /^Team of/],
      ['billing', '/billing', /^Billing of/],
      ['account', '/account', /Account/],
    ];
    const found: Record<string, Record<string, Finding[]>> = {};
    for (const [name, path, heading] of pages) {
      await page.goto(`${stack.webUrl}${path}`);
      const f = await checkPage(page, name, heading);
      if (Object.keys(f).length) found[name] = f;
    }
    expect(found).toEqual({});
  }, 180_000);
});
