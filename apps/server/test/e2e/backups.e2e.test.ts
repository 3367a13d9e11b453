import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, joinTenant, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';
import { axe, heading, logIn, openDialog, reportPageOnFailure, until, visible } from './pages.js';
import { DESKTOP, type E2eStack, launchBrowser, PHONE, startE2eStack } from './stack.js';

/**
 * Backups and restore in the tenant web app, in Chromium, through nginx, against the real API, worker,
 * PostgreSQL and Docker (the Odoo stand-in image): back up now and watch it live, download the zip
 * through its signed link, restore it in place, and make a copy of the instance from it.
 */

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** With SCREENSHOTS_DIR set (npm run screenshots), the backups pages are saved there as <name>-desktop.png and <name>-phone.png. */
const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;

/** Serious and critical axe violations (WCAG 2.1 A/AA, best practices) at desktop and phone widths; saves the screenshots when asked. */
async function checkPage(page: Page, name: string): Promise<string[]> {
  const found: string[] = [];
  // Not over a link that was just clicked (its hover colours are not what the page shows).
  await page.mouse.move(DESKTOP.width - 1, DESKTOP.height - 1);
  for (const [width, viewport] of Object.entries({ desktop: DESKTOP, phone: PHONE })) {
    await page.setViewportSize(viewport);
    await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
    await page.evaluate('document.fonts.ready');
    const result = await axe(page).analyze();
    for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
      found.push(
        `${width} ${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
      );
    }
    if (SCREENSHOTS_DIR) {
      await mkdir(SCREENSHOTS_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}-${width}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
  return found;
}

/** Records, from inside the page, every backup or restore state the tab showed (a fast job may show one only briefly). */
const watchStates = (page: Page) =>
  page.evaluate(() => {
    const seen = new Set<string>();
    Object.assign(window, { __seenStates: seen });
    const record = () => {
      for (const el of document.querySelectorAll('[role="progressbar"]')) seen.add(`progressbar:${el.getAttribute('aria-label')}`);
      for (const text of ['Queued', 'In progress', 'Completed', 'Succeeded', 'Failed']) {
        if (document.body.textContent?.includes(text)) seen.add(text);
      }
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
const seenStates = (page: Page) => page.evaluate(() => [...((window as { __seenStates?: Set<string> }).__seenStates ?? [])]);

describe('backups and restore in the web app, end to end', () => {
  let owner: TestUser;
  let instance: InstanceDto;
  let context: BrowserContext;
  let page: Page;
  let downloaded: Buffer;

  beforeAll(async () => {
    owner = await createUser(stack.h, { label: 'backups-e2e', verify: 'direct' });
    const created = await createInstance(stack.h, owner, { name: 'Bo Trading' });
    instance = await waitForStatus(stack.h, owner, created.id, ['running'], 120_000);
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    await page.goto(`${stack.webUrl}/login`);
    await logIn(page, owner.email, STRONG_PASSWORD);
    await visible(heading(page, /^Welcome/));
  }, 180_000);
  beforeEach(() => reportPageOnFailure(() => page));
  afterAll(() => context?.close());

  const row = (kind: string) =>
    page
      .getByRole('region', { name: `Backups of ${instance.name}`, exact: true })
      .getByRole('row')
      .filter({ hasText: kind });

  it('backs up now from the Backups tab, showing the progress live, then the completed backup', async () => {
    await page.goto(`${stack.webUrl}/instances/${instance.id}`);
    await page.getByRole('tab', { name: 'Backups' }).click();
    await visible(page.getByRole('heading', { name: 'Backups', level: 2 }));
    await visible(page.getByText('No backups yet'));
    await visible(page.getByText('0 of 3 manual backups used today'));
    expect(await page.getByRole('combobox', { name: 'Daily backup time' }).inputValue()).toBe('Automatic (spread over the night)');

    await watchStates(page);
    await page.getByRole('button', { name: 'Back up now' }).click();
    const manual = row('Manual');
    await visible(manual.getByText('Completed'), 120_000);
    const seen = await seenStates(page);
    // The 202 answer already shows the backup as queued, then the live stream carries it to the end.
    expect(
      seen.some((s) => s === 'Queued' || s === 'In progress' || s.startsWith('progressbar:')),
      seen.join(', '),
    ).toBe(true);
    await visible(page.getByText('1 of 3 manual backups used today'));
    expect(await manual.getByText(/database .* · \d+ modules/).count()).toBe(1);
  });

  it('downloads the backup through its signed link as an Odoo zip', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row('Manual')
        .getByRole('button', { name: /^Download the backup of/ })
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    expect(new URL(download.url()).origin).toBe(stack.webUrl);
    const zip = await readFile(await download.path());
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(zip.length).toBeGreaterThan(100);
    downloaded = zip;
  });

  it('restores the backup in place after typing the subdomain, and shows it succeeding', async () => {
    await row('Manual')
      .getByRole('button', { name: /^Restore here: the backup of/ })
      .click();
    const dialog = await visible(page.getByRole('dialog', { name: `Restore ${instance.name} from this backup?` }));
    await visible(dialog.getByText('A safety backup of the instance as it is now is taken first'));
    const confirm = dialog.getByRole('button', { name: 'Restore this backup' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: `Type ${instance.slug} to confirm` }).fill(instance.slug);
    await confirm.click();
    await dialog.waitFor({ state: 'hidden' });

    const done = page.getByRole('alert').filter({ hasText: /Restore completed|The restore failed/ });
    await visible(done, 180_000);
    expect(await done.textContent()).toContain('Restore completed');
    // The instance as it was before is kept as a safety backup, and the instance runs again.
    await visible(row('Safety copy before a restore').getByText('Completed'));
    await visible(heading(page, /Running/), 60_000);
    expect(await checkPage(page, 'instance-backups')).toEqual([]);
  });

  it('creates a copy from the backup, which is set up live and runs', async () => {
    const dialog = await openDialog(
      row('Manual').getByRole('button', { name: /^Create a copy from the backup of/ }),
      page.getByRole('dialog', { name: 'Create a copy from this backup' }),
    );
    const slug = `${instance.slug}-staging`;
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Bo Trading staging');
    await dialog.getByRole('textbox', { name: 'Subdomain' }).fill(slug);
    await visible(dialog.getByText(`“${slug}” is available.`));
    await dialog.getByRole('button', { name: 'Create the copy' }).click();

    const path = await until(
      async () => new URL(page.url()).pathname,
      (p) => /^\/instances\/[0-9a-f-]+$/.test(p) && !p.endsWith(instance.id),
      'the new instance’s page opens',
    );
    await visible(heading(page, /Bo Trading staging/));
    await visible(heading(page, /Running/), 150_000);

    const copyId = path.split('/').pop() ?? '';
    const copy = await call(stack.h.app, 'GET', `/api/v1/instances/${copyId}`, { client: owner });
    expect(copy.statusCode, copy.body).toBe(200);
    expect(copy.json()).toMatchObject({ slug, status: 'running', provisionPath: 'backup', version: instance.version });
    expect(copy.json().sourceBackupId).toBeTruthy();
  });

  it('lists every backup of the organization on the Backups page', async () => {
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await visible(heading(page, 'Backups'));
    const table = page.getByRole('region', { name: 'Backups of the organization' });
    await visible(table.getByRole('row').filter({ hasText: 'Manual' }).getByRole('link', { name: instance.name }));
    await visible(table.getByRole('row').filter({ hasText: 'Safety copy before a restore' }));
    expect(await checkPage(page, 'backups')).toEqual([]);
  });

  it('lists them for operators in the admin dashboard, filtered by status, with a download link', async () => {
    const operator = await createUser(stack.h, { label: 'backups-operator', verify: 'direct' });
    await new UsersRepository(stack.h.platform.db).update(operator.userId, { platformRole: 'admin' });
    const adminContext = await browser.newContext({ acceptDownloads: true });
    try {
      const admin = await adminContext.newPage();
      await admin.goto(`${stack.adminUrl}/login?next=/backups`);
      await logIn(admin, operator.email, STRONG_PASSWORD);
      await visible(heading(admin, 'Backups'));
      // This organization's only: the list spans every tenant, and other tests' backups may fill its first page.
      await admin.goto(`${stack.adminUrl}/backups?tenantId=${owner.tenantId}`);
      await visible(heading(admin, 'Backups'));
      await admin.getByRole('combobox', { name: 'Status' }).click();
      await admin.getByRole('option', { name: 'Completed' }).click();
      await until(
        async () => new URL(admin.url()).searchParams.get('status'),
        (s) => s === 'completed',
        'the filter is in the address',
      );
      const row = admin
        .getByRole('region', { name: 'Backups', exact: true })
        .getByRole('row')
        .filter({ hasText: instance.slug })
        .filter({ hasText: 'manual' });
      await visible(row);
      const [download] = await Promise.all([admin.waitForEvent('download'), row.getByRole('button', { name: /^Download/ }).click()]);
      expect((await readFile(await download.path())).subarray(0, 2).toString('latin1')).toBe('PK');
      expect(await checkPage(admin, 'admin-backups')).toEqual([]);
    } finally {
      await adminContext.close();
    }
  });

  it('shows a member the backups, read-only', async () => {
    const member = await createUser(stack.h, { label: 'backups-member', verify: 'direct' });
    await joinTenant(stack.h, owner, member, 'member');
    const memberContext = await browser.newContext();
    try {
      const memberPage = await memberContext.newPage();
      await memberPage.goto(`${stack.webUrl}/login`);
      await logIn(memberPage, member.email, STRONG_PASSWORD);
      await visible(heading(memberPage, /^Welcome/));
      // The organization the member joined (the owner's), not their own.
      await memberPage.evaluate((id) => localStorage.setItem('saas.currentTenantId', id), owner.tenantId);
      await memberPage.goto(`${stack.webUrl}/instances/${instance.id}?tab=backups`);
      const table = await visible(memberPage.getByRole('region', { name: `Backups of ${instance.name}`, exact: true }));
      await visible(table.getByRole('row').filter({ hasText: 'Manual' }).getByText('Completed'));
      await visible(memberPage.getByText('Owners and admins of your organization make, download and restore backups.'));
      expect(await memberPage.getByRole('button', { name: /Back up now|Download|Restore|Create a copy|Delete|Upload/ }).count()).toBe(0);
    } finally {
      await memberContext.close();
    }
  });

  it('uploads the downloaded zip, which the platform checks and lists as a backup', async () => {
    await page.goto(`${stack.webUrl}/instances/${instance.id}?tab=backups`);
    await page.locator('input[type="file"]').setInputFiles({ name: 'bo-trading.zip', mimeType: 'application/zip', buffer: downloaded });
    await visible(page.getByText(/bo-trading\.zip: \d+(\.\d)? (B|KB|MB)/));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await visible(row('Uploaded').getByText('Completed'), 60_000);
    await visible(page.getByText('2 of 3 manual backups used today'));
  });

  it("refuses a file that is not an Odoo backup and shows the server's reason", async () => {
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip') });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const refusal = await visible(page.getByRole('alert').filter({ hasText: 'The archive was refused' }));
    expect((await refusal.textContent())?.replace('The archive was refused', '').trim().length).toBeGreaterThan(10);
    expect(await row('Uploaded').count()).toBe(1);
  });

  it('refuses an upload of several megabytes with the API’s own reason, not the proxy’s', async () => {
    const big = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(3 * 2 ** 20, 1)]);
    await page.locator('input[type="file"]').setInputFiles({ name: 'big.zip', mimeType: 'application/zip', buffer: big });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/backups/upload')),
      page.getByRole('button', { name: 'Upload', exact: true }).click(),
    ]);
    const body = await response.text();
    expect(response.headers()['content-type'] ?? '', `${response.status()} ${body.slice(0, 200)}`).toContain('json');
    await visible(page.getByRole('alert').filter({ hasText: 'The archive was refused' }));
  });
});
