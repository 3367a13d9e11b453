import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { call, tokenFromLink, uniqueEmail } from '../harness.js';
import { heading, mailLink, signUp, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * What changes elsewhere shows up on the open page without a reload: the email confirmed from the
 * mail (in another tab, or on another device), and the instance becoming ready with its one-time
 * admin password on offer.
 */

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

async function newPage() {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  onTestFailed(async () => {
    console.error(
      `at ${page.url()}:\n${await page
        .locator('body')
        .ariaSnapshot()
        .catch(() => '')}`,
    );
  });
  return { context, page };
}

/** A new account of its own, signed up in the web app, which asks for the address to be confirmed. */
async function signUpAs(page: Page, label: string) {
  const id = randomUUID().slice(0, 6);
  const owner = { name: `Lin ${label}`, email: uniqueEmail(label), organization: `Lin ${label} ${id}`, id };
  await signUp(page, stack.webUrl, owner);
  await visible(page.getByText('We sent a confirmation link'));
  return owner;
}

/** Marks the document, so a later check can tell that the page was never reloaded. */
const markDocument = (page: Page) => page.evaluate(() => Object.assign(window, { __sameDocument: true }));
const sameDocument = (page: Page) => page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument === true);

describe('live updates in the tenant web app', () => {
  it('unlocks creation when the email is confirmed in another tab, and offers the admin password the moment the Odoo is ready', async () => {
    const { context, page } = await newPage();
    const owner = await signUpAs(page, 'tabs');

    // Creation is locked while the address is unconfirmed.
    await page.getByRole('link', { name: 'Create your first Odoo' }).click();
    await visible(heading(page, 'Create your first Odoo'));
    const locked = page.getByRole('status').filter({ hasText: 'Confirm your email first' });
    await visible(locked);
    const create = page.getByRole('button', { name: 'Create instance' });
    expect(await create.isDisabled()).toBe(true);
    await markDocument(page);

    // The link from the mail, opened in a second tab of the same browser.
    const mailTab = await context.newPage();
    await mailTab.goto(await mailLink(stack.h.app, owner.email, 'Confirm'));
    await visible(mailTab.getByText('Email verified'));
    await mailTab.close();

    // The first tab notices by itself.
    await locked.waitFor({ state: 'hidden' });
    await until(
      () => create.isDisabled(),
      (disabled) => !disabled,
      'the Create button is enabled',
    );
    expect(await sameDocument(page)).toBe(true);

    // Create, and follow the setup until the instance is ready.
    const slug = `lin-${owner.id}`;
    await page.getByRole('textbox', { name: 'Name' }).fill('Lin Tabs');
    await page.getByRole('textbox', { name: 'Subdomain' }).fill(slug);
    await visible(page.locator('#slug-state').getByText(`“${slug}” is available.`));
    await create.click();
    await visible(page.getByRole('heading', { name: 'Your Odoo is ready' }), 120_000);

    // The live update carried the whole instance: the one-time password is on offer, with no reload.
    await visible(page.getByRole('button', { name: 'Show admin password' }));
    expect(await page.getByText('The initial password was already shown').count()).toBe(0);
    expect(await sameDocument(page)).toBe(true);
    await page.getByRole('button', { name: 'Show admin password' }).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Show the admin password?' }));
    await dialog.getByRole('button', { name: 'Show it now' }).click();
    const shown = await visible(page.getByRole('status').filter({ hasText: 'Shown only this once' }));
    expect(await shown.getByRole('textbox', { name: 'Login' }).inputValue()).toBe('admin');
    expect((await shown.getByRole('textbox', { name: 'Password' }).inputValue()).length).toBeGreaterThanOrEqual(12);
  }, 240_000);

  it('notices an email confirmed on another device when the user comes back to the tab', async () => {
    const { page } = await newPage();
    const owner = await signUpAs(page, 'device');
    const banner = page.getByRole('status').filter({ hasText: 'Verify your email' });
    await visible(banner);
    await markDocument(page);

    // Confirmed elsewhere (the phone's mail app): no tab of this browser is involved.
    const link = await mailLink(stack.h.app, owner.email, 'Confirm');
    const verified = await call(stack.h.app, 'POST', '/api/v1/auth/verify-email', { body: { token: tokenFromLink(link) } });
    expect(verified.statusCode, verified.body).toBe(204);

    // The user switches back to this tab (the browser fires visibilitychange, which bubbles to the window).
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
    await banner.waitFor({ state: 'hidden' });
    expect(await sameDocument(page)).toBe(true);
  });
});
