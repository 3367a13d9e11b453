import { randomUUID } from 'node:crypto';
import { like } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { ALERT_WEBHOOK_PATH } from '../../src/monitoring/alerts.routes.js';
import { alerts } from '../../src/monitoring/alerts.tables.js';
import { createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { seriousViolations, settle } from './admin-screens.js';
import { heading, logIn, reportPageOnFailure, visible } from './pages.js';
import { type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * Alerts as operators see them: Alertmanager's webhook (on the API's internal listener) reports one
 * alert firing and another resolved; the overview's panel lists the firing one, the Alerts page both,
 * filtered by status, at phone width without serious accessibility violations.
 */

const TOKEN = `webhook-${randomUUID()}`;
const tag = randomUUID().slice(0, 8);
let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;

const alert = (status: 'firing' | 'resolved', name: string, summary: string, severity: string) => ({
  status,
  labels: { alertname: name, severity, instance: `host-${tag}` },
  annotations: { summary, description: `What to do about ${name}.` },
  startsAt: new Date(Date.now() - 600_000).toISOString(),
  endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
  fingerprint: `${name}-${tag}`,
});

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startE2eStack({ env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_EMAIL_TO: `ops-${tag}@example.com` } }),
    launchBrowser(),
  ]);
  admin = await createUser(stack.h, { label: 'alerts-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  for (const body of [
    { alerts: [alert('firing', 'DiskAlmostFull', `Disk /data-${tag} is 91% full`, 'warning')] },
    { alerts: [alert('firing', 'QueueBackingUp', `Queue mail-${tag} has 500 waiting jobs`, 'warning')] },
    { alerts: [alert('resolved', 'QueueBackingUp', `Queue mail-${tag} has 500 waiting jobs`, 'warning')] },
  ]) {
    const res = await stack.h.app.internal.inject({
      method: 'POST',
      url: ALERT_WEBHOOK_PATH,
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  context = await browser.newContext({ reducedMotion: 'reduce', viewport: PHONE });
  page = await context.newPage();
  await page.goto(`${stack.adminUrl}/login`);
  await logIn(page, admin.email, STRONG_PASSWORD);
  await visible(heading(page, 'Overview'));
}, 120_000);

afterAll(async () => {
  await stack?.h.platform.db.delete(alerts).where(like(alerts.fingerprint, `%-${tag}`));
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

describe('alerts in the admin dashboard', () => {
  beforeEach(() => reportPageOnFailure(() => page));

  it('lists the firing alert on the overview, not the resolved one', async () => {
    const panel = page.getByRole('region', { name: 'Active alerts' });
    await visible(panel.getByText(`Disk /data-${tag} is 91% full`));
    expect(await panel.getByText(`Queue mail-${tag} has 500 waiting jobs`).count()).toBe(0);
    await panel.getByRole('link', { name: /alerts/i }).click();
    await settle(page, 'Alerts');
  });

  it('shows firing and resolved alerts on the Alerts page, filters by status, and passes axe at phone width', async () => {
    await page.goto(`${stack.adminUrl}/alerts`);
    await settle(page, 'Alerts');
    const table = page.getByRole('region', { name: 'Alerts' });
    await visible(table.getByText(`Disk /data-${tag} is 91% full`));
    await visible(table.getByText(`Queue mail-${tag} has 500 waiting jobs`));
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${stack.adminUrl}/alerts?status=resolved`);
    await settle(page, 'Alerts');
    await visible(table.getByText(`Queue mail-${tag} has 500 waiting jobs`));
    expect(await table.getByText(`Disk /data-${tag} is 91% full`).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
