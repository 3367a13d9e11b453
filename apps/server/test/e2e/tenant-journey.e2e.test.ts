import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, STRONG_PASSWORD, type TestUser, uniqueEmail } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { descriptionOf, heading, logIn, mailLink, reportPageOnFailure, signUp, submitSignUp, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/**
 * A customer's first day, in Chromium, through nginx, against the real API, worker, PostgreSQL,
 * Redis and Docker (the Odoo stand-in image): sign up, confirm the address from the mail, log in,
 * create an Odoo and watch it being set up, open it at its subdomain, stop and start it, and invite
 * a colleague who then sees that organization and nothing else.
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

describe('the tenant web app, end to end', () => {
  // One customer's first day, which the cases below follow in order.
  const id = randomUUID().slice(0, 6);
  const owner = { name: 'Ada Owner', email: uniqueEmail('owner'), organization: `Ada Trading ${id}` };
  const slug = `ada-${id}`;
  let context: BrowserContext;
  let page: Page;
  let odoo: Page; // the instance's own pages, at its subdomain
  let member: TestUser;
  let foreign: Awaited<ReturnType<typeof insertInstanceRow>>;
  let memberContext: BrowserContext;
  let memberPage: Page;
  let watched: Page; // the page a failing case reports

  beforeAll(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    watched = page;
  });
  beforeEach(() => reportPageOnFailure(() => watched));
  afterAll(async () => {
    await memberContext?.close();
    await context?.close();
  });

  it('signs up and confirms the address from the mail', async () => {
    // Sign up: the app asks to check the inbox; logging in from there, it asks for the address to be confirmed.
    await signUp(page, stack.webUrl, owner);
    await visible(page.getByText('We sent a confirmation link'));

    // Someone else signing up with the same address sees exactly the same page; the owner gets a note instead.
    const other = await browser.newContext();
    try {
      const otherPage = await other.newPage();
      await submitSignUp(otherPage, stack.webUrl, { name: 'Mallory', email: owner.email, organization: 'Mallory Org' });
      await visible(otherPage.getByRole('link', { name: 'Log in' }));
      expect(await otherPage.getByRole('alert').count()).toBe(0);
    } finally {
      await other.close();
    }
    const note = await mailLink(stack.h.app, owner.email, 'Someone tried to sign up');
    expect(note).toBe(`${stack.webUrl}/login`);

    // The verification mail, from the local mailbox, links to the web app behind nginx.
    const verifyLink = await mailLink(stack.h.app, owner.email, 'Confirm');
    expect(verifyLink.startsWith(`${stack.webUrl}/verify-email?token=`)).toBe(true);
    await page.goto(verifyLink);
    await visible(page.getByText('Email verified'));
  });

  it('logs out, refuses a wrong password with its message, and lets the right one in', async () => {
    await page.goto(stack.webUrl);
    await page.getByRole('button', { name: `Account menu for ${owner.name}` }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await visible(page.getByRole('heading', { name: 'Log in' }));
    await logIn(page, owner.email, 'not-the-Password-42');
    await visible(page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }));
    await logIn(page, owner.email, STRONG_PASSWORD);
    await visible(heading(page, `Welcome, ${owner.name}`));
    expect(await page.getByText('We sent a confirmation link').count()).toBe(0);
  });

  it('checks the subdomain as it is typed during onboarding, and marks the field when submitted invalid', async () => {
    // Onboarding: name, subdomain (checked as it is typed), version.
    await page.getByRole('link', { name: 'Create your first Odoo' }).click();
    await visible(heading(page, 'Create your first Odoo'));
    await page.getByRole('textbox', { name: 'Name' }).fill('Ada Trading');
    const subdomain = page.getByRole('textbox', { name: 'Subdomain' });
    expect(await subdomain.inputValue()).toBe('ada-trading'); // suggested from the name
    const slugState = page.locator('#slug-state');

    // Invalid subdomains: each gets its reason next to the field.
    await subdomain.fill('ad');
    await visible(slugState.getByText('Use 3 to 63 characters'));
    await subdomain.fill('admin');
    await visible(slugState.getByText('“admin” is reserved'));
    await subdomain.fill('Bad_Name');
    expect(await subdomain.inputValue()).toBe('bad_name'); // lowercased as typed; the underscore stays invalid
    await visible(slugState.getByText('Use 3 to 63 characters'));
    // Submitting anyway marks the field itself: invalid, described by the reason.
    await page.getByRole('button', { name: 'Create instance' }).click();
    await until(
      () => subdomain.getAttribute('aria-invalid'),
      (v) => v === 'true',
      'the subdomain field is marked invalid',
    );
    expect(await descriptionOf(subdomain)).toContain('Use 3 to 63 characters');
    expect(new URL(page.url()).pathname).toBe('/instances/new');
  });

  it('creates the Odoo with a free subdomain, showing the provisioning steps live, then "ready"', async () => {
    const subdomain = page.getByRole('textbox', { name: 'Subdomain' });
    const slugState = page.locator('#slug-state');
    await subdomain.fill(slug);
    await visible(slugState.getByText(`“${slug}” is available.`));
    await visible(page.getByText(`${stack.instanceUrl(slug)}`));
    expect(await page.getByRole('combobox', { name: 'Odoo version' }).inputValue()).toMatch(/^Odoo \d+\.\d/);
    await page.getByRole('button', { name: 'Create instance' }).click();

    // Live progress: the named steps of the provisioning workflow, one after the other, then "ready".
    await until(
      async () => new URL(page.url()).pathname,
      (p) => /^\/instances\/[0-9a-f-]+\/setup$/.test(p),
      'the setup page opens',
    );
    const seen = new Set<string>();
    const ready = page.getByRole('heading', { name: 'Your Odoo is ready' });
    const deadline = Date.now() + 120_000;
    while (!(await ready.isVisible())) {
      if (Date.now() > deadline) throw new Error(`not ready in time; steps seen: ${[...seen].join(', ')}`);
      const current = page.getByRole('list', { name: 'Steps' }).locator('[aria-current="step"]');
      const text = await current.textContent({ timeout: 250 }).catch(() => '');
      if (text) seen.add(text.replace(/\s*\(in progress\)\s*$/, '').trim());
      const failed = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
      if (await failed.isVisible()) throw new Error(`provisioning failed: ${await failed.textContent()}`);
      await page.waitForTimeout(100);
    }
    expect(seen.size, [...seen].join(', ')).toBeGreaterThanOrEqual(2);
    await visible(page.getByRole('link', { name: stack.instanceUrl(slug) }));
  });

  it('serves the instance at its own subdomain, through nginx', async () => {
    // The stand-in's login page.
    odoo = await context.newPage();
    const served = await odoo.goto(`${stack.instanceUrl(slug)}/web/login`);
    expect(served?.status()).toBe(200);
    await visible(odoo.getByText('Odoo stand-in (test fixture)'));
    await visible(odoo.getByRole('button', { name: 'Log in' }));
  });

  it('stops it after a confirmation in a dialog; the subdomain then says it is stopped', async () => {
    await page.getByRole('link', { name: 'Manage this instance' }).click();
    await visible(heading(page, /Ada Trading/));
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Stop Ada Trading?' }));
    await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
    await visible(page.getByRole('button', { name: 'Start', exact: true }), 60_000);
    await visible(heading(page, /Stopped/));
    const stopped = await odoo.goto(`${stack.instanceUrl(slug)}/web/login`);
    expect(stopped?.status()).toBe(503);
    await visible(odoo.getByText('This instance is stopped'));
  });

  it('starts it again, and the subdomain serves Odoo again', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await visible(page.getByRole('button', { name: 'Restart' }), 90_000);
    await visible(heading(page, /Running/));
    const again = await odoo.goto(`${stack.instanceUrl(slug)}/web/login`);
    expect(again?.status()).toBe(200);
    await visible(odoo.getByText('Odoo stand-in (test fixture)'));
  });

  it('invites a colleague who already has an account as a member', async () => {
    member = await createUser(stack.h, { label: 'member' });
    // Another customer's instance, which the member must never see.
    const stranger = await createUser(stack.h, { label: 'stranger', verify: 'direct' });
    foreign = await insertInstanceRow(stack.h, stranger.tenantId, 'stopped');

    await page.getByRole('link', { name: 'Team' }).click();
    await visible(heading(page, `Team of ${owner.organization}`));
    await page.getByRole('textbox', { name: 'Email' }).fill(member.email);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await visible(page.getByRole('cell', { name: member.email, exact: true }));
  });

  it("lets the member accept from the mail's link, logging in from there", async () => {
    memberContext = await browser.newContext();
    memberPage = await memberContext.newPage();
    watched = memberPage;
    const inviteLink = await mailLink(stack.h.app, member.email, 'invited you');
    expect(inviteLink.startsWith(`${stack.webUrl}/accept-invitation?token=`)).toBe(true);
    await memberPage.goto(inviteLink);
    await visible(memberPage.getByText(`You have been invited to join ${owner.organization} as member.`));
    await memberPage.getByRole('link', { name: 'Log in to accept' }).click();
    await logIn(memberPage, member.email, STRONG_PASSWORD);
    await memberPage.getByRole('button', { name: 'Accept invitation' }).click();
    await visible(heading(memberPage, /^Welcome/));
  });

  it('shows the member that organization, read-only', async () => {
    // The member works in that organization, read-only, and sees only what belongs to it.
    const main = memberPage.getByRole('main');
    await visible(main.getByText(owner.organization, { exact: true }));
    await visible(main.getByText('member', { exact: true }));
    await memberPage.getByRole('link', { name: 'Instances', exact: true }).click();
    await visible(heading(memberPage, 'Instances'));
    await visible(memberPage.getByRole('heading', { name: 'Ada Trading', level: 2 }));
    expect(await memberPage.getByRole('article').count()).toBe(1);
    expect(await memberPage.getByRole('link', { name: /New instance/ }).count()).toBe(0);
    await memberPage.getByRole('link', { name: 'Manage Ada Trading' }).click();
    await visible(memberPage.getByText('You are a member of'));
    expect(await memberPage.getByRole('button', { name: /^(Stop|Start|Restart)$/ }).count()).toBe(0);
  });

  it("offers the member only their own and the joined organization, and not another tenant's instance", async () => {
    // Organizations offered: their own and the one they joined, no other.
    const switcher = memberPage.getByRole('combobox', { name: 'Current organization' });
    expect(await switcher.inputValue()).toBe(owner.organization);
    await switcher.click();
    const options = await memberPage.getByRole('option').allInnerTexts();
    expect(options.sort()).toEqual([owner.organization, `Org of ${member.email}`].sort());
    await memberPage.keyboard.press('Escape');
    // Another tenant's instance, opened by its address: not found.
    await memberPage.goto(`${stack.webUrl}/instances/${foreign.id}`);
    await visible(heading(memberPage, 'Instance not found'));
    expect(await memberPage.getByText(foreign.name, { exact: true }).count()).toBe(0);
  });

  it('deletes the instance once its subdomain is typed, following the deletion live back to the list', async () => {
    watched = page;
    await page.goto(`${stack.webUrl}/instances`);
    await page.getByRole('link', { name: 'Manage Ada Trading' }).click();
    await visible(heading(page, /Ada Trading/));
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Delete instance' }).click();
    const dialog = await visible(page.getByRole('dialog', { name: 'Delete Ada Trading?' }));
    await visible(dialog.getByText('is deleted permanently'));
    const confirm = dialog.getByRole('button', { name: 'Delete permanently' });
    const field = dialog.getByRole('textbox', { name: `Type ${slug} to confirm` });
    expect(await confirm.isDisabled()).toBe(true);
    await field.fill(`${slug}x`);
    expect(await confirm.isDisabled()).toBe(true);

    // Cancelling empties the field: the next opening asks again.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete instance' }).click();
    await visible(dialog);
    expect(await field.inputValue()).toBe('');

    await field.fill(slug);
    await confirm.click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL((url) => url.pathname === '/instances', { timeout: 120_000 });
    await visible(page.getByText('Ada Trading was deleted.'));
    const gone = await odoo.goto(`${stack.instanceUrl(slug)}/web/login`);
    expect(gone?.status()).not.toBe(200);
  }, 180_000);
});
