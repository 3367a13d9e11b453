import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';
import { axe, heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { DESKTOP, type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * Charts over time in Chromium: a real Prometheus scrapes the stack's API; the admin overview shows
 * its series with a range switch, and the tenant's Usage tab shows its instance's charts. Both pass
 * axe at desktop and phone widths.
 */

const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;

let monitoring: Monitoring;
let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;
let tenant: TestUser;
let instanceId: string;

beforeAll(async () => {
  const metricsPort = await freePort();
  monitoring = await startMonitoring({ targets: { api: [`127.0.0.1:${metricsPort}`] }, interval: '1s' });
  [stack, browser] = await Promise.all([
    startE2eStack({ env: { PROMETHEUS_URL: monitoring.prometheusUrl }, metricsPort }),
    launchBrowser(),
  ]);
  admin = await createUser(stack.h, { label: 'charts-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  tenant = await createUser(stack.h, { label: 'charts-tenant', verify: 'direct' });
  instanceId = (await insertInstanceRow(stack.h, tenant.tenantId, 'stopped')).id;
  // The page opens once Prometheus has the API's request rate (a few scrapes).
  await until(
    async () => {
      await call(stack.h.app, 'GET', '/api/v1/health');
      const res = await call(stack.h.app, 'GET', '/api/v1/admin/metrics/overview?range=1h', { client: admin });
      const chart = (res.json() as { charts: { id: string; series: { points: unknown[] }[] }[] }).charts.find(
        (c) => c.id === 'api_request_rate',
      );
      return chart?.series[0]?.points.length ?? 0;
    },
    (n) => n > 0,
    'request rate points in Prometheus',
    40_000,
  );
  context = await browser.newContext({ reducedMotion: 'reduce' });
  page = await context.newPage();
}, 120_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await monitoring?.stop();
});

async function seriousViolations(name: string): Promise<string[]> {
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  if (SCREENSHOTS_DIR) await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
  // The active alerts panel (firing alerts of the shared database) is the alerts' tests' to check; these are the charts'.
  const result = await axe(page).exclude('[aria-labelledby="active-alerts-heading"]').analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('charts over time', () => {
  beforeEach(() => reportPageOnFailure(() => page));

  it('shows the overview’s charts with data, switches the range, and passes axe', async () => {
    await page.goto(`${stack.adminUrl}/login?next=/`);
    await logIn(page, admin.email, STRONG_PASSWORD);
    await visible(heading(page, 'Overview'));
    const requests = page.getByRole('region', { name: 'API requests' });
    await visible(requests.getByText(/^Latest: Requests [\d.,]+ req\/s$/));
    await visible(requests.getByRole('img', { name: 'API requests, chart of the last 24 hours' }));
    // A chart without data says so rather than drawing an empty frame.
    await visible(page.getByRole('region', { name: 'Provisioning time' }).getByText('No data yet'));
    expect(await seriousViolations('admin-overview-charts')).toEqual([]);

    const answered = page.waitForResponse((r) => r.url().includes('/admin/metrics/overview?range=7d') && r.status() === 200);
    await page.getByText('7 d', { exact: true }).click();
    await answered;
    await visible(requests.getByRole('img', { name: 'API requests, chart of the last 7 days' }));

    await page.setViewportSize(PHONE);
    await visible(requests.getByText(/^Latest: Requests/));
    expect(await seriousViolations('admin-overview-charts-phone')).toEqual([]);
    await page.setViewportSize(DESKTOP);
  });

  it('shows a tenant the Usage tab’s charts of its own instance', async () => {
    const tenantPage = await context.newPage();
    page = tenantPage;
    await page.goto(`${stack.webUrl}/login?next=${encodeURIComponent(`/instances/${instanceId}?tab=usage`)}`);
    await logIn(page, tenant.email, STRONG_PASSWORD);
    await visible(page.getByRole('heading', { name: 'Usage over time', level: 2 }));
    // Nothing measures the fixture instance (no container): each chart says it has no data yet.
    for (const title of ['CPU', 'Memory', 'Disk', 'Requests']) {
      await visible(page.getByRole('region', { name: title, exact: true }).getByText('No data yet'));
    }
    expect(await seriousViolations('web-instance-usage-charts')).toEqual([]);
    await page.setViewportSize(PHONE);
    expect(await seriousViolations('web-instance-usage-charts-phone')).toEqual([]);
  });
});
