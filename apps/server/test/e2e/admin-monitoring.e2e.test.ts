import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { type Monitoring, startMonitoring } from '../support/monitoring.js';
import { freePort } from '../support/nginx.js';
import { failMaintenanceJob } from './admin-screens.js';
import { heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * The operators' monitoring against the running platform: a job that failed in the real worker is
 * retried from the System page once its cause is fixed, and the overview charts the API's own traffic
 * as a real Prometheus scraped it from the API's internal metrics listener.
 */

let monitoring: Monitoring;
let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;

beforeAll(async () => {
  // Prometheus first, scraping the port the stack's internal listener is about to take.
  const metricsPort = await freePort();
  monitoring = await startMonitoring({ targets: { api: [`127.0.0.1:${metricsPort}`] } });
  [stack, browser] = await Promise.all([
    startE2eStack({ metricsPort, env: { PROMETHEUS_URL: monitoring.prometheusUrl } }),
    launchBrowser(),
  ]);
  admin = await createUser(stack.h, { label: 'mon-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  context = await browser.newContext({ reducedMotion: 'reduce' });
  page = await context.newPage();
  await page.goto(`${stack.adminUrl}/login`);
  await logIn(page, admin.email, STRONG_PASSWORD);
  await visible(heading(page, 'Overview'));
}, 120_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await monitoring?.stop();
});

describe('admin monitoring on the running platform', () => {
  beforeEach(() => reportPageOnFailure(() => page));

  it('retries a job that failed in the worker, once its cause is fixed, and sees it succeed', async () => {
    // A template build for a version the catalog does not have: the worker refuses it, for real.
    const version = `0.mon${Date.now().toString(36).slice(-6)}`;
    const jobId = await failMaintenanceJob(stack, version);
    const job = await stack.h.platform.queues.maintenance.getJob(jobId);

    await page.goto(`${stack.adminUrl}/system`);
    await visible(heading(page, 'System'));
    const failed = page.getByRole('region', { name: 'Failed jobs of the maintenance queue' });
    await visible(failed.getByText(`unknown Odoo version ${version}`, { exact: true }));

    // The cause is fixed: the version is in the catalog now (disabled, so nothing else queues a build of it;
    // its image is not on this machine, and the build records that on the version).
    const added = await call(stack.h.app, 'PUT', `/api/v1/admin/odoo-versions/${version}`, {
      client: admin,
      body: { image: 'odoo-standin:not-pulled', enabled: false },
    });
    expect(added.statusCode, added.body).toBe(200);

    await page.getByRole('button', { name: `Retry job build-template ${jobId}` }).click();
    await visible(page.getByText('The job is queued again.'));
    await until(() => job?.isCompleted() ?? Promise.resolve(false), Boolean, 'the retried job to complete');
    // The list follows: nothing failed is left in the maintenance queue.
    await page.getByRole('radiogroup', { name: 'Queue' }).getByText('maintenance', { exact: true }).click();
    await visible(page.getByText('Nothing in the maintenance queue has failed for good.'));
    expect(await stack.h.platform.queues.maintenance.getJob(jobId).then((j) => j?.returnvalue)).toEqual({ result: 'failed' });
    // The template build ran: it recorded why it could not use the image.
    const versions = await call(stack.h.app, 'GET', '/api/v1/admin/odoo-versions', { client: admin });
    expect(
      (versions.json() as { version: string; templateStatus: string | null }[]).find((v) => v.version === version)?.templateStatus,
    ).toBe('failed');
  });

  it('shows the API’s request rate from Prometheus as a chart with data on the overview', async () => {
    // Traffic through the edge, as browsers make it; Prometheus scrapes the API every second.
    const traffic = setInterval(() => {
      void fetch(`${stack.webUrl}/api/v1/health`).catch(() => undefined);
    }, 100);
    try {
      await until(
        async () => {
          const res = await call(stack.h.app, 'GET', '/api/v1/admin/metrics/overview?range=1h', { client: admin });
          const charts = (res.json() as { charts?: { id: string; series: { points: { v: number }[] }[] }[] }).charts ?? [];
          // The latest rate: a counter needs two scrapes with requests between them to have one.
          return charts.find((c) => c.id === 'api_request_rate')?.series[0]?.points.at(-1)?.v ?? 0;
        },
        (rate) => rate > 0,
        `the API request rate to have points in Prometheus (${monitoring.prometheusUrl})`,
        120_000,
      );
    } finally {
      clearInterval(traffic);
    }
    await page.goto(`${stack.adminUrl}/`);
    await visible(heading(page, 'Overview'));
    await page.getByRole('radiogroup', { name: 'Time range' }).getByText('1 h', { exact: true }).click();
    const chart = page.getByRole('region', { name: 'API requests' });
    await visible(chart.getByRole('img', { name: /last 1 hour$/ }));
    // The chart's accessible summary: the latest value, from Prometheus, is not zero.
    const latest = await visible(chart.getByText(/^Latest: Requests /));
    expect(Number((await latest.textContent())?.match(/([\d.]+) req\/s/)?.[1])).toBeGreaterThan(0);
    // And drawn: a line through the points, or the dot of a single one (Prometheus has run for a minute or two).
    const drawn = chart
      .getByRole('img', { name: /chart of/i })
      .locator('path.recharts-line-curve[d*="L"], path.recharts-line-curve[d*="C"], .recharts-line-dots circle, circle.recharts-dot');
    await until(
      () => drawn.count(),
      (n) => n > 0,
      'the API requests chart to draw its data',
    );
  }, 180_000);
});
