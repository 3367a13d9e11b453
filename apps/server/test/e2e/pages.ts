import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import type { App } from '../../src/http/app.js';
import { STRONG_PASSWORD, waitForMail } from '../harness.js';

/** Default wait for something to appear on a page (API calls go through nginx to the real API). */
export const UI_TIMEOUT = 15_000;

/**
 * axe-core with the rules every browser test checks: WCAG 2.1 A and AA, and best practices. It runs in the page
 * itself (legacy mode: our pages have no frames; the default finishes each run in a new blank tab, injecting axe
 * there again), and only violations carry all their nodes (passes and the rest keep one each): the same violations
 * found in about a third of the time (0.7 s rather than 1.9 s per admin screen).
 */
export const axe = (page: Page) =>
  new AxeBuilder({ page })
    .options({ resultTypes: ['violations'] })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .setLegacyMode();

/**
 * Clicks `trigger` until `dialog` shows, at most three times, 5 s apart, and returns the dialog. Under a loaded
 * machine a click can land while a live update re-renders the list under the pointer; it is lost, as a person's
 * would be, and they click again. A dialog that never opens still fails the test.
 */
export async function openDialog(trigger: Locator, dialog: Locator): Promise<Locator> {
  for (let attempt = 1; attempt < 3; attempt++) {
    await trigger.click();
    if (
      await dialog.waitFor({ state: 'visible', timeout: 5_000 }).then(
        () => true,
        () => false,
      )
    )
      return dialog;
    console.warn(`the dialog did not open after click ${attempt}: clicking again`);
  }
  await trigger.click();
  return visible(dialog);
}

/** Waits until the locator is visible and returns it. */
export async function visible(locator: Locator, timeout = UI_TIMEOUT): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

/** The text of the elements that describe a field (aria-describedby): its hint and its error. */
export async function descriptionOf(field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const page = field.page();
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** Polls `read` until `accept` returns true (or fails with the last value). */
export async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeout = UI_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeout} ms; last: ${JSON.stringify(last)}`);
}

/** The first link of the newest mail for `to` whose subject includes `subject` (delivered by the real worker). */
export async function mailLink(app: App, to: string, subject: string): Promise<string> {
  const mail = await waitForMail(app, to, subject, 20_000);
  const link = mail.links[0];
  if (!link) throw new Error(`mail "${mail.subject}" to ${to} has no link`);
  return link;
}

/** Fills the login form of the web app and submits it. */
export async function logIn(page: Page, email: string, password: string) {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The page's main heading (level 1). */
export const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name, level: 1 });

/**
 * Fills and submits the sign-up form; the app then asks to check the inbox (whether or not the address
 * already had an account: it cannot tell).
 */
export async function submitSignUp(page: Page, webUrl: string, person: { name: string; email: string; organization: string }) {
  await page.goto(`${webUrl}/signup`);
  await page.getByRole('textbox', { name: 'Your name' }).fill(person.name);
  await page.getByRole('textbox', { name: 'Email' }).fill(person.email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(STRONG_PASSWORD);
  await page.getByRole('textbox', { name: 'Organization' }).fill(person.organization);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await visible(page.getByRole('status').filter({ hasText: `We sent a message to ${person.email}` }));
}

/** Signs up in the web app at `webUrl`, then logs in from the "check your inbox" page and is greeted (the address still to be confirmed). */
export async function signUp(page: Page, webUrl: string, owner: { name: string; email: string; organization: string }) {
  await submitSignUp(page, webUrl, owner);
  await page.getByRole('link', { name: 'Log in' }).click();
  await visible(page.getByRole('heading', { name: 'Log in' }));
  await logIn(page, owner.email, STRONG_PASSWORD);
  await visible(heading(page, `Welcome, ${owner.name}`));
}

/** What went wrong in a page's life (console errors, uncaught errors, failed requests), newest last. */
const troubles = new WeakMap<Page, string[]>();

function watchTroubles(page: Page | undefined): void {
  if (!page || troubles.has(page)) return;
  const list: string[] = [];
  const note = (line: string) => list.push(`${new Date().toISOString()} ${line}`) > 30 && list.shift();
  page.on('console', (m) => m.type() === 'error' && note(`console: ${m.text()}`));
  page.on('pageerror', (e) => note(`page error: ${e.message}`));
  page.on('requestfailed', (r) => note(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  troubles.set(page, list);
}

/**
 * If the current test fails, prints where the page that `watched()` names was, what it showed (its
 * accessibility tree) and what went wrong in it since the test began watching.
 */
export function reportPageOnFailure(watched: () => Page) {
  // A page the test has not opened yet is watched from its first report on.
  watchTroubles(watched() as Page | undefined);
  onTestFailed(async () => {
    const page = watched();
    const snapshot = await page
      .locator('body')
      .ariaSnapshot()
      .catch(() => '');
    console.error(`at ${page.url()}:\n${snapshot}\n${(troubles.get(page) ?? []).join('\n')}`);
  });
}
