import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { type AdminSeed, adminScreens, openScreen, seedAdminData, settle } from './admin-screens.js';
import { logIn, reportPageOnFailure, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * Who may use the operators' console. `support` staff see every screen but no control that changes
 * anything, and the API refuses their writes anyway; a tenant user (no platform role) is logged out of
 * the console with a reason, and every admin route refuses its token.
 */

/** Names of controls that change something: none may be usable by support staff. */
const WRITE =
  /\b(suspend|resume|delete|remove|start|stop|restart|retry|impersonat\w*|view as user|edit|change plan|new plan|add version|add|disable|enable|force log ?out|reset\b.*|send\b.*|record payment|set state|rebuild|save|create|sync|acknowledge|silence|resolve)\b/i;

/**
 * A link is named by data (a tenant called "Org of …-add@example.com" is no "add" control): it counts
 * only when its name starts with the verb. Buttons and menu items count wherever the verb is.
 */
function isWrite(role: string, name: string): boolean {
  if (role !== 'link') return WRITE.test(name);
  const verb = WRITE.exec(name);
  return verb?.index === 0;
}

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let seed: AdminSeed;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  seed = await seedAdminData(stack, false);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Enabled buttons, menu items and links on the page whose accessible name says they change something. */
async function writeControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  return snapshot
    .split('\n')
    .map((line) => /^\s*- (button|menuitem|link) "([^"]*)"(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[3]?.includes('[disabled]') && isWrite(m[1] as string, m[2] ?? ''))
    .map((m) => `${m[1]} "${m[2]}"`);
}

/** Visits every admin screen and returns the write controls found on each (screens that did not load are listed apart). */
async function walkScreens(page: Page) {
  const controls: Record<string, string[]> = {};
  const missing: string[] = [];
  for (const screen of adminScreens(seed)) {
    await openScreen(page, stack.adminUrl, screen.path);
    try {
      await settle(page, screen.heading);
    } catch {
      missing.push(`${screen.name} (${screen.path})`);
      continue;
    }
    const found = await writeControls(page);
    if (found.length) controls[screen.name] = found;
  }
  return { controls, missing };
}

async function signedIn(user: TestUser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(`${stack.adminUrl}/login`);
  await logIn(page, user.email, STRONG_PASSWORD);
  return { context, page };
}

/** Every operation of the published API whose path starts with `prefix`, with its access rule and a concrete URL. */
function operations(prefix = '/api/v1/') {
  const doc = stack.h.app.swagger() as unknown as { paths: Record<string, Record<string, { 'x-access': string }>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
        path,
        rule: op['x-access'],
        // Real ids where they exist: access is checked before anything else, so the write never happens.
        url: path
          .replace('{tenantId}', seed.owner.tenantId)
          .replace('{userId}', seed.owner.userId)
          .replace('{instanceId}', seed.instance.id)
          .replace('{queue}', 'maintenance')
          .replace('{jobId}', seed.failedJobId)
          .replace(/\{[^}]+\}/g, 'x1'),
      })),
    );
}

describe('support staff', () => {
  let page: Page;
  let context: BrowserContext;
  beforeEach(() => reportPageOnFailure(() => page));
  afterAll(() => context?.close());

  it('sees every admin screen with no usable write control (where an admin has them)', async () => {
    // The check itself first: on an admin's screens it finds the write controls.
    const asAdmin = await signedIn(seed.admin);
    page = asAdmin.page;
    await visible(page.getByRole('heading', { name: 'Overview', level: 1 }));
    const adminView = await walkScreens(page);
    await asAdmin.context.close();
    expect(Object.keys(adminView.controls)).toEqual(expect.arrayContaining(['plans', 'odoo-versions', 'system-workers']));
    expect(adminView.controls['system-workers']).toContainEqual(expect.stringMatching(/Retry job build-template/));

    ({ context, page } = await signedIn(seed.support));
    await visible(page.getByRole('heading', { name: 'Overview', level: 1 }));
    const supportView = await walkScreens(page);
    // Impersonation is the one action support staff may take (the "support impersonation"): its
    // control is theirs exactly when the API admits them to it.
    const impersonation = operations().filter((op) => op.method === 'POST' && /impersonat/.test(op.path) && op.path.includes('/admin/'));
    expect(impersonation.length).toBeGreaterThan(0);
    const supportImpersonates = impersonation.every((op) => op.rule.split(/[:,]/).includes('support'));
    const viewAs = 'button "View as user"';
    expect(supportView.controls['user-detail']?.includes(viewAs) ?? false).toBe(supportImpersonates);
    for (const [screen, found] of Object.entries(supportView.controls)) {
      const others = found.filter((c) => !(supportImpersonates && c === viewAs));
      if (others.length) supportView.controls[screen] = others;
      else delete supportView.controls[screen];
    }
    expect(supportView).toEqual({ controls: {}, missing: [] });
    // The read-only pages say why.
    await page.goto(`${stack.adminUrl}/system`);
    await visible(page.getByText('Your support role can view this page but not change it.'));
  }, 300_000);

  it('is refused every admin-only operation by the API, and may read', async () => {
    const adminOnly = operations().filter((op) => op.rule === 'platform:admin');
    expect(adminOnly.length).toBeGreaterThan(10);
    const allowed: string[] = [];
    for (const op of adminOnly) {
      const res = await call(stack.h.app, op.method, op.url, {
        client: seed.support,
        ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
      });
      if (res.statusCode !== 403) allowed.push(`${op.method} ${op.path}: ${res.statusCode}`);
    }
    expect(allowed).toEqual([]);
    // Through the real edge too, with the token the browser would send: a retry of the failed job.
    const retry = await fetch(`${stack.webUrl}/api/v1/admin/system/queues/maintenance/failed/${seed.failedJobId}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.support.token}` },
    });
    expect(retry.status).toBe(403);
    expect(await stack.h.platform.queues.maintenance.getJob(seed.failedJobId).then((j) => j?.isFailed())).toBe(true);
    const read = await fetch(`${stack.webUrl}/api/v1/admin/system/settings`, {
      headers: { authorization: `Bearer ${seed.support.token}` },
    });
    expect(read.status).toBe(200);
  });
});

describe('a tenant user', () => {
  it('is logged out of the console with the reason', async () => {
    const { context, page } = await signedIn(seed.owner);
    try {
      reportPageOnFailure(() => page);
      await visible(page.getByRole('alert').filter({ hasText: 'This account has no platform role' }));
      await visible(page.getByRole('heading', { name: 'Operator login' }));
      // Its session is gone: opening a screen leads back to the login form.
      await page.goto(`${stack.adminUrl}/tenants`);
      await visible(page.getByRole('heading', { name: 'Operator login' }));
      expect(await page.getByRole('heading', { name: 'Tenants', level: 1 }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('gets 403 from every admin route', async () => {
    const admin = operations('/api/v1/admin/');
    expect(admin.length).toBeGreaterThan(20);
    const answered: string[] = [];
    for (const op of admin) {
      const res = await call(stack.h.app, op.method, op.url, {
        client: seed.owner,
        ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
      });
      if (res.statusCode !== 403) answered.push(`${op.method} ${op.path}: ${res.statusCode}`);
    }
    expect(answered).toEqual([]);
    const viaEdge = await fetch(`${stack.webUrl}/api/v1/admin/tenants`, { headers: { authorization: `Bearer ${seed.owner.token}` } });
    expect(viaEdge.status).toBe(403);
  });
});
