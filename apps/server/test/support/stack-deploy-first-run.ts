import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { LABELS } from '../../src/instances/instance-names.js';
import { heading, signUp, until, visible } from '../e2e/pages.js';
import type { BrowserContext } from '../e2e/stack.js';
import { PREFIX, type StackOnSwarm } from './stack-deploy.js';

/**
 * The browser's first run against the deployed stack (test/swarm/stack-deploy.swarm.test.ts), through its edge: sign
 * up, confirm the address from the mail, create an instance, watch it provision on the swarm, open it at its subdomain.
 */
export interface FirstRunOwner {
  name: string;
  email: string;
  organization: string;
}

/** Signs up on the web app and follows the confirmation link of the mail in the dev mailbox. */
export async function signUpAndConfirm(stack: StackOnSwarm, page: Page, owner: FirstRunOwner): Promise<void> {
  const { webUrl, mailLink } = stack;
  await signUp(page, webUrl(), owner);
  const verifyLink = await mailLink(owner.email, 'Confirm');
  expect(verifyLink.startsWith(`${webUrl()}/verify-email?token=`)).toBe(true);
  await page.goto(verifyLink);
  await visible(page.getByText('Email verified'));
}

/** Creates the first instance at `slug` and waits for its setup page to say it is ready; a swarm service runs it. */
export async function createInstanceInBrowser(stack: StackOnSwarm, page: Page, slug: string): Promise<void> {
  const { webUrl, instanceUrl, timed, manager } = stack;
  await page.goto(webUrl());
  await page.getByRole('link', { name: 'Create your first Odoo' }).click();
  await visible(heading(page, 'Create your first Odoo'));
  await page.getByRole('textbox', { name: 'Name' }).fill('Ada Stack');
  await page.getByRole('textbox', { name: 'Subdomain' }).fill(slug);
  await visible(page.locator('#slug-state').getByText(`“${slug}” is available.`));
  await page.getByRole('button', { name: 'Create instance' }).click();
  await until(
    async () => new URL(page.url()).pathname,
    (p) => /^\/instances\/[0-9a-f-]+\/setup$/.test(p),
    'the setup page opens',
  );
  await timed('provisioning in the browser', async () => {
    const ready = page.getByRole('heading', { name: 'Your Odoo is ready' });
    const failed = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
    await Promise.race([
      visible(ready, 150_000),
      failed.waitFor({ state: 'visible', timeout: 150_000 }).then(async () => {
        throw new Error(`provisioning failed: ${await failed.textContent()}`);
      }),
    ]);
  });
  await visible(page.getByRole('link', { name: instanceUrl(slug) }));
  // A swarm service of the instance runs on the node.
  const services = await manager().listServices({ filters: { label: [`${LABELS.platform}=${PREFIX}`] } });
  expect(services.length).toBeGreaterThan(0);
}

/** Opens the instance's login page at its subdomain through the edge: the stand-in's page. */
export async function openInstanceAtSubdomain(stack: StackOnSwarm, context: BrowserContext, slug: string): Promise<void> {
  const { instanceUrl } = stack;
  const odoo = await context.newPage();
  const served = await odoo.goto(`${instanceUrl(slug)}/web/login`);
  expect(served?.status()).toBe(200);
  await visible(odoo.getByText('Odoo stand-in (test fixture)'));
  await odoo.close();
}
