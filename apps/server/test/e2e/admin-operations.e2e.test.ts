import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { tenants } from '../../src/tenants/tenants.tables.js';
import { call, createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';
import { axe, heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { DESKTOP, type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * The operator journey in Chromium against the real stack in production mode (https with a
 * self-signed certificate, staff two-factor required, no dev mailbox): an admin logs in with a TOTP
 * code, finds a tenant by searching, opens its page and suspends it with a reason; its stand-in
 * instance stops and its subdomain (through the edge nginx) shows the suspended page; the admin
 * resumes it and the subdomain serves the instance again; at last the admin deletes the tenant.
 */

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;
let owner: TestUser;
let totp: TOTP;
let instance: InstanceDto;
const tenantName = `Suspendable ${Date.now().toString(36)}`;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startE2eStack({
      tls: true,
      env: {
        NODE_ENV: 'production',
        // Mail goes to the outbox and never leaves (a closed port); production has no dev mailbox.
        SMTP_URL: 'smtp://127.0.0.1:1',
        DEV_MAILBOX: '',
        STAFF_TWO_FACTOR: 'required',
        JWT_SECRET: randomBytes(48).toString('base64url'),
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    }),
    launchBrowser(),
  ]);
  const { h } = stack;
  expect(h.platform.config).toMatchObject({ production: true, staffTwoFactor: true, secureCookies: true });
  [admin, owner] = await Promise.all([
    createUser(h, { label: 'ops-admin', verify: 'direct' }),
    createUser(h, { label: 'ops-owner', verify: 'direct' }),
  ]);
  await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
  await h.platform.db.update(tenants).set({ name: tenantName }).where(eq(tenants.id, owner.tenantId));
  // The admin turns two-factor on, as the API demands of staff in production.
  const setup = await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: admin });
  expect(setup.statusCode, setup.body).toBe(200);
  totp = new TOTP({ secret: Secret.fromBase32(setup.json().secret) });
  const enabled = await call(h.app, 'POST', '/api/v1/me/totp/enable', { client: admin, body: { code: totp.generate() } });
  expect(enabled.statusCode, enabled.body).toBe(200);

  instance = await createInstance(stack.h, owner, { version: '18.0' });
  instance = await waitForStatus(stack.h, owner, instance.id, ['running', 'failed']);
  expect(instance.status, instance.lastError ?? '').toBe('running');

  context = await browser.newContext({ reducedMotion: 'reduce', ignoreHTTPSErrors: true });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  if (instance && owner) {
    const repo = new InstancesRepository(stack.h.platform.db);
    const current = await repo.findById(instance.id);
    if (current && current.status !== 'deleted' && current.status !== 'deleting') {
      await call(stack.h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner });
    }
    await until(
      async () => (await repo.findById(instance.id))?.status,
      (s) => s === 'deleted',
      'instance deleted',
      60_000,
    ).catch(() => undefined);
  }
  await stack?.close();
}, 120_000);

/** Serious and critical axe violations (WCAG 2.1 A/AA and best practices) on the page as it is now. */
async function seriousViolations(): Promise<string[]> {
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
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

/** What the instance's subdomain serves now, through the edge (its status and text). */
async function subdomain(): Promise<{ status: number; text: string }> {
  const tab = await context.newPage();
  try {
    const res = await tab.goto(`${stack.instanceUrl(instance.slug)}/web/login`);
    return { status: res?.status() ?? 0, text: (await tab.locator('body').textContent()) ?? '' };
  } finally {
    await tab.close();
  }
}

describe('operator actions on a tenant', () => {
  beforeEach(() => reportPageOnFailure(() => page));

  it('logs in with TOTP, finds the tenant, suspends it (instance stopped, suspended page) and resumes it', async () => {
    expect(stack.adminUrl).toMatch(/^https:\/\//);
    expect(await subdomain()).toMatchObject({ status: 200, text: expect.stringContaining('stand-in') });

    await page.goto(`${stack.adminUrl}/login`);
    await logIn(page, admin.email, STRONG_PASSWORD);
    // A code is accepted once: enabling two-factor used this period's, so the app's next one (the server allows ±1 step).
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    await page.getByRole('textbox', { name: '6-digit code from your authenticator app' }).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await visible(heading(page, 'Overview'));

    await page.getByRole('link', { name: 'Tenants' }).first().click();
    await visible(heading(page, 'Tenants'));
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill(tenantName);
    const table = page.getByRole('region', { name: 'Tenants', exact: true }).getByRole('table');
    await until(
      () => table.getByRole('row').count(),
      (rows) => rows === 2,
      'the search leaves only the tenant (and the header row)',
    );
    expect(page.url()).toContain(`q=${encodeURIComponent(tenantName).replace(/%20/g, '+')}`);
    await table.getByRole('link', { name: tenantName, exact: true }).click();
    await visible(heading(page, tenantName));
    const instances = page.getByRole('region', { name: 'Instances', exact: true });
    await visible(instances.getByRole('link', { name: instance.slug }));
    expect(await seriousViolations()).toEqual([]);

    await page.getByRole('button', { name: 'Suspend tenant' }).click();
    const dialog = page.getByRole('dialog', { name: `Suspend ${tenantName}` });
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('Abuse report #4711: phishing pages');
    await dialog.getByRole('button', { name: 'Suspend tenant' }).click();
    await visible(page.getByText(`${tenantName} suspended`));
    await visible(page.getByRole('status').filter({ hasText: 'Abuse report #4711' }));

    // The worker stops the instance; the page follows, and the subdomain serves the suspended page.
    await visible(instances.getByText('stopped'), 60_000);
    const stopped = await waitForStatus(stack.h, owner, instance.id, ['stopped'], 10_000);
    expect(stopped.suspended).toBe(true);
    const suspended = await until(subdomain, (r) => r.status === 503, 'the suspended page', 20_000);
    expect(suspended.text).toContain('This instance is suspended');
    expect(suspended.text).not.toContain('stand-in');

    await page.getByRole('button', { name: 'Resume tenant' }).click();
    await page
      .getByRole('dialog', { name: `Resume ${tenantName}` })
      .getByRole('button', { name: 'Resume tenant' })
      .click();
    await visible(page.getByText(`${tenantName} resumed`));
    await visible(instances.getByText('running'), 90_000);
    const served = await until(subdomain, (r) => r.status === 200, 'the instance served again', 30_000);
    expect(served.text).toContain('stand-in');
    expect(await page.getByRole('status').filter({ hasText: 'Abuse report #4711' }).count()).toBe(0);

    // Both actions are in the tenant's audit log on the page, with the admin as actor.
    const audit = page.getByRole('region', { name: 'Audit log', exact: true });
    await visible(audit.getByText('admin.suspend_tenant'));
    await visible(audit.getByText('admin.resume_tenant'));
  }, 240_000);

  it('shows the instance’s page (facts, log, history) without accessibility violations, at desktop and phone width', async () => {
    await page.goto(`${stack.adminUrl}/tenants/${owner.tenantId}`);
    await page.getByRole('region', { name: 'Instances', exact: true }).getByRole('link', { name: instance.slug }).click();
    await visible(heading(page, instance.slug));
    const history = page.getByRole('region', { name: 'State history', exact: true });
    await visible(history.getByText('suspended with its tenant'));
    await visible(page.getByRole('button', { name: 'Stop' }));
    await visible(page.getByRole('region', { name: 'Log', exact: true }).getByLabel('Odoo log'));
    expect(await seriousViolations()).toEqual([]);
    for (const path of ['/tenants', '/instances', `/tenants/${owner.tenantId}`, `/instances/${instance.id}`]) {
      await page.setViewportSize(PHONE);
      await page.goto(`${stack.adminUrl}${path}`);
      await visible(page.getByRole('heading', { level: 1 }));
      expect(await seriousViolations(), path).toEqual([]);
    }
    await page.setViewportSize(DESKTOP);
  }, 90_000);

  it('deletes the tenant after its name is typed: the result is shown, the page says deleted, the list hides it', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${stack.adminUrl}/tenants/${owner.tenantId}`);
    await visible(heading(page, tenantName));
    await page.getByRole('button', { name: 'Delete tenant' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${tenantName}` });
    const confirm = dialog.getByRole('button', { name: 'Delete tenant' });
    await dialog.getByRole('textbox', { name: `Type “${tenantName}” to confirm` }).fill(`${tenantName} typo`);
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('Customer closed the account (ticket 99)');
    expect(await confirm.isDisabled()).toBe(true);
    expect(await seriousViolations()).toEqual([]);
    await dialog.getByRole('textbox', { name: `Type “${tenantName}” to confirm` }).fill(tenantName);
    await confirm.click();
    await visible(dialog.getByRole('status').filter({ hasText: `Being deleted after a final backup: ${instance.slug}` }));
    await dialog.getByRole('button', { name: 'Done' }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Customer closed the account (ticket 99)' }));
    await visible(page.getByText('Deleted by an operator'));
    expect(await page.getByRole('button', { name: 'Suspend tenant' }).count()).toBe(0);
    expect(await seriousViolations()).toEqual([]);
    // The instance goes through its deletion workflow (a final backup first).
    await until(
      async () => (await new InstancesRepository(stack.h.platform.db).findById(instance.id))?.status,
      (s) => s === 'deleted',
      'instance deleted',
      90_000,
    );

    await page.setViewportSize(DESKTOP);
    await page.goto(`${stack.adminUrl}/tenants?q=${encodeURIComponent(tenantName)}`);
    await visible(page.getByText('No tenants found'));
    await page.goto(`${stack.adminUrl}/tenants?q=${encodeURIComponent(tenantName)}&deleted=true`);
    await visible(page.getByRole('link', { name: tenantName, exact: true }));
  }, 150_000);
});
