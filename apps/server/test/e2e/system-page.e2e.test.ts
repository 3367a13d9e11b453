import { hostname } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { createUser, STRONG_PASSWORD, type TestUser } from '../harness.js';
import { heading, logIn, reportPageOnFailure, until, visible } from './pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from './stack.js';

/** The operators' System page: the live worker, the queues, and a failed job retried and removed from the browser. */

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let admin: TestUser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack(), launchBrowser()]);
  admin = await createUser(stack.h, { label: 'sys-admin', verify: 'direct' });
  await new UsersRepository(stack.h.platform.db).update(admin.userId, { platformRole: 'admin' });
  context = await browser.newContext();
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});
describe('admin System page', () => {
  it('shows the live worker and a failed job with its error, and retries and removes it', async () => {
    reportPageOnFailure(() => page);
    // A job name the worker does not know: it fails for real, in the worker.
    const { maintenance } = stack.h.platform.queues;
    const job = await maintenance.add('e2e-unknown-job', { version: '18.0' }, { attempts: 1 });
    await until(() => job.isFailed(), Boolean, 'the job to fail');

    await page.goto(`${stack.adminUrl}/login?next=/system`);
    await logIn(page, admin.email, STRONG_PASSWORD);
    await visible(heading(page, 'System'));

    const workers = page.getByRole('region', { name: 'Workers table' });
    await visible(workers.getByText(`${hostname()} · pid ${process.pid}`));
    await visible(page.getByRole('region', { name: 'Queue depths table' }).getByRole('row', { name: /maintenance/ }));

    const failed = page.getByRole('region', { name: 'Failed jobs of the maintenance queue' });
    await visible(failed.getByText('unknown maintenance job e2e-unknown-job', { exact: true }));

    await page.getByRole('button', { name: `Retry job e2e-unknown-job ${job.id}` }).click();
    await visible(page.getByText('The job is queued again.'));
    // It fails again in the worker (the name is still unknown) and is back in the list.
    await until(() => job.isFailed(), Boolean, 'the retried job to fail again');

    await page.getByRole('button', { name: `Remove job e2e-unknown-job ${job.id}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await visible(page.getByText('No failed jobs'));
    await until(
      async () => (await maintenance.getJob(String(job.id))) ?? null,
      (j) => j === null,
      'the job to be removed',
    );
  });
});
