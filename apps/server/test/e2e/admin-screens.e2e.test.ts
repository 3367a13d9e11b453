import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../harness.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';
import { type AdminSeed, adminScreens, type Finding, openScreen, seedAdminData, seriousViolations, settle } from './admin-screens.js';
import { logIn, reportPageOnFailure, until, visible } from './pages.js';
import { DESKTOP, type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * Every screen of the admin dashboard (lists, detail pages, each tab of Billing and System, alerts,
 * audit log) with seeded data, checked with axe-core at desktop and phone widths: no serious or critical
 * violation. With SCREENSHOTS_DIR set (npm run screenshots), each is saved as admin-<screen>-<width>.png.
 */

const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;
const VIEWPORTS = { desktop: DESKTOP, phone: PHONE } as const;
/** The admin backups list has its own screenshots, with backups in it (backups.e2e.test.ts). */
const NO_SCREENSHOT = new Set(['backups-all']);

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let seed: AdminSeed;
let monitoring: Monitoring;

beforeAll(async () => {
  // A real Prometheus scraping the API, so the overview's and the detail pages' charts have data.
  const metricsPort = await freePort();
  monitoring = await startMonitoring({ targets: { api: [`127.0.0.1:${metricsPort}`] } });
  [stack, browser] = await Promise.all([
    startE2eStack({ metricsPort, env: { PROMETHEUS_URL: monitoring.prometheusUrl } }),
    launchBrowser(),
  ]);
  seed = await seedAdminData(stack, Boolean(SCREENSHOTS_DIR));
  if (SCREENSHOTS_DIR) await mkdir(SCREENSHOTS_DIR, { recursive: true });
  context = await browser.newContext({ reducedMotion: 'reduce' });
  page = await context.newPage();
}, 240_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await monitoring?.stop();
});

describe('every admin screen (axe-core, WCAG 2.1 AA)', () => {
  it('has no serious or critical violation at desktop and phone widths', async () => {
    reportPageOnFailure(() => page);
    await page.goto(`${stack.adminUrl}/login`);
    await logIn(page, seed.admin.email, STRONG_PASSWORD);
    await visible(page.getByRole('heading', { name: 'Overview', level: 1 }));

    const found: Record<string, Record<string, Finding[]>> = {};
    const missing: string[] = [];
    for (const screen of adminScreens(seed)) {
      await page.setViewportSize(DESKTOP);
      await openScreen(page, stack.adminUrl, screen.path);
      try {
        await settle(page, screen.heading);
      } catch {
        missing.push(`${screen.name} (${screen.path}): no heading ${screen.heading}`);
        continue;
      }
      if (screen.prepare) {
        await screen.prepare(page);
        // Out of the way: a pointer left over a table row or button would be checked in its hover colours.
        await page.mouse.move(0, 0);
      }
      for (const [width, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        await page.waitForTimeout(300);
        await settle(page, screen.heading);
        const violations = await seriousViolations(page);
        if (violations.length) found[screen.name] = { ...found[screen.name], [width]: violations };
        if (SCREENSHOTS_DIR && !NO_SCREENSHOT.has(screen.name)) {
          await page.screenshot({ path: join(SCREENSHOTS_DIR, `admin-${screen.name}-${width}.png`), fullPage: true });
        }
      }
    }
    expect({ missing, found }).toEqual({ missing: [], found: {} });
  }, 600_000);
});

describe('the audit log', () => {
  it('filters by actor, action and result on the server, sorts both ways, and keeps it all in the URL', async () => {
    reportPageOnFailure(() => page);
    await page.setViewportSize(DESKTOP);
    await openScreen(page, stack.adminUrl, '/audit-log');
    await settle(page, 'Audit log');
    const table = page.getByRole('region', { name: 'Audit log' });
    await page.getByRole('searchbox', { name: 'Actor email' }).fill(seed.other.email);
    // The other owner signed up, created an instance and stopped it: newest first.
    const actions = () => table.locator('tbody tr td:nth-child(3)').allTextContents();
    await until(actions, (a) => a[0] === 'instance.stop' && a.includes('auth.signup'), 'the actor’s entries, newest first');
    expect(new URL(page.url()).searchParams.get('actorEmail')).toBe(seed.other.email);
    const rows = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(rows)).toEqual(new Set([seed.other.email]));

    await page.getByRole('combobox', { name: 'Sort' }).click();
    await page.getByRole('option', { name: 'Oldest first' }).click();
    await until(actions, (a) => a[0] === 'auth.signup' && a.at(-1) === 'instance.stop', 'the oldest entry first');
    expect(new URL(page.url()).searchParams.get('sort')).toBe('oldest');

    await page.getByRole('searchbox', { name: 'Action' }).fill('instance.stop');
    await until(actions, (a) => a.length === 1 && a[0] === 'instance.stop', 'only the stop');
    await page.getByRole('combobox', { name: 'Result' }).click();
    await page.getByRole('option', { name: 'Failure' }).click();
    await visible(page.getByText('No entries match these filters.'));
    // A link to this view opens it the same way.
    await page.reload();
    await visible(page.getByText('No entries match these filters.'));
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await visible(table);
  });
});
