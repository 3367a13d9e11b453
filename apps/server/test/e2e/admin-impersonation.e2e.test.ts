import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, fakeIp, STRONG_PASSWORD, signUpAndLogIn, type TestUser } from '../harness.js';
import { axe, heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * Support impersonation from the browser: an admin finds a user, starts viewing as them with a reason,
 * the tenant app opens logged in as that user under a banner, the audit trail shows it (the admin's
 * and the tenant's), and ending it leaves the tenant app logged out.
 */

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let tenantPage: Page | undefined;
let admin: TestUser;
let target: TestUser & { name: string };
const reason = 'Customer reports the dashboard is empty (ticket #2048)';

/** Serious and critical axe findings on the page as it is now (ids and where). */
async function axeFindings(on: Page) {
  const result = await axe(on).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} ${n.html} ${n.failureSummary}`).join(', ')}`);
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  admin = await createUser(stack.h, { label: 'imp-e2e-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  const tag = randomUUID().slice(0, 6);
  const person = { email: `ada-${tag}@example.com`, name: `Ada Lovelace ${tag}`, organization: `Analytical Engines ${tag}`, ip: fakeIp() };
  target = { ...(await signUpAndLogIn(stack.h, person, 'direct')), name: person.name };
  context = await browser.newContext();
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

describe('support impersonation in the browser', () => {
  it('opens the tenant app as the user under a banner, is audited, and ends logged out', async () => {
    reportPageOnFailure(() => tenantPage ?? page);
    await page.goto(`${stack.adminUrl}/login?next=/users`);
    await logIn(page, admin.email, STRONG_PASSWORD);
    await visible(heading(page, 'Users'));

    // Find the user by a part of the address, then open their page.
    await page.getByRole('searchbox', { name: 'Search users' }).fill(target.email.split('@')[0] ?? '');
    const users = page.getByRole('region', { name: 'Users', exact: true });
    await visible(users.getByText(target.email, { exact: true }));
    await until(
      () => users.getByRole('row').count(),
      (n) => n === 2,
      'the list to hold only the match (and its header)',
    );
    expect(new URL(page.url()).searchParams.get('q')).toBe(target.email.split('@')[0]);
    expect(await axeFindings(page)).toEqual([]);
    await users.getByRole('link', { name: target.name }).click();
    await visible(heading(page, target.name));
    await visible(page.getByRole('region', { name: 'Audit entries of the user' }));
    expect(await axeFindings(page)).toEqual([]);
    // The rest of the admin's part at phone width.
    await page.setViewportSize(PHONE);
    expect(await axeFindings(page)).toEqual([]);

    await page.getByRole('button', { name: 'View as user' }).click();
    const dialog = page.getByRole('dialog');
    // A reason is required.
    await dialog.getByRole('button', { name: 'Start impersonation' }).click();
    await visible(dialog.getByText(/Give a reason of at least 10 characters/));
    expect(await axeFindings(page)).toEqual([]);
    await dialog.getByRole('textbox', { name: 'Reason' }).fill(reason);
    await dialog.getByRole('button', { name: 'Start impersonation' }).click();
    await visible(dialog.getByRole('status').filter({ hasText: 'Impersonation started' }));

    const opened = context.waitForEvent('page');
    await dialog.getByRole('link', { name: `Open the tenant app as ${target.email}` }).click();
    tenantPage = await opened;
    const banner = tenantPage.getByRole('status', { name: 'Support session' });
    await visible(banner);
    expect(await banner.textContent()).toContain(`You are viewing as ${target.email} on behalf of support (${admin.email}), until`);
    // The user's own data: their dashboard, then their team.
    await visible(heading(tenantPage, `Welcome, ${target.name}`));
    // The code in the link is gone from the address bar, and spent.
    expect(tenantPage.url()).not.toContain('code=');
    // The banner follows the user through the app.
    await tenantPage.getByRole('link', { name: 'Team' }).first().click();
    await visible(tenantPage.getByRole('cell', { name: target.email }).first());
    await visible(banner);
    // The organization's own activity log shows support's visit, with the reason, at phone width too.
    await tenantPage.setViewportSize(PHONE);
    await tenantPage.goto(`${stack.webUrl}/activity`);
    await visible(banner);
    const activity = tenantPage.getByRole('region', { name: 'Activity', exact: true });
    await visible(activity.getByRole('row').filter({ hasText: 'admin.impersonation_started' }).filter({ hasText: reason }));
    expect(await axeFindings(tenantPage)).toEqual([]);

    // The audit rows: the admin sees it on the user's page, the tenant in its own audit log.
    await dialog.getByRole('button', { name: 'Done' }).click();
    const trail = page.getByRole('region', { name: 'Audit entries of the user' });
    await visible(trail.getByRole('row').filter({ hasText: 'admin.impersonation_started' }).filter({ hasText: reason }).first());
    await visible(page.getByRole('region', { name: 'Active sessions' }).getByText('Impersonation', { exact: true }));
    const tenantLog = await call(stack.h.app, 'GET', `/api/v1/tenants/${target.tenantId}/audit-log`, { client: target });
    expect(tenantLog.json().items).toContainEqual(
      expect.objectContaining({ action: 'admin.impersonation_started', actor: { id: admin.userId, email: admin.email }, reason }),
    );

    // Ending it: the tenant app is logged out, and stays so after a reload.
    await banner.getByRole('button', { name: 'End session' }).click();
    await visible(tenantPage.getByRole('heading', { name: 'Log in' }));
    await tenantPage.goto(`${stack.webUrl}/`);
    await visible(tenantPage.getByRole('heading', { name: 'Log in' }));
    const detail = await until(
      async () => (await call(stack.h.app, 'GET', `/api/v1/admin/users/${target.userId}`, { client: admin })).json(),
      (d: { sessions: { impersonation: unknown }[] }) => d.sessions.every((s) => s.impersonation === null),
      'the impersonation session to be revoked',
    );
    expect(detail.sessions.length).toBeGreaterThan(0);
  });
});
