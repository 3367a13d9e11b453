import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { reportPageOnFailure } from '../e2e/pages.js';
import type { BrowserContext } from '../e2e/stack.js';
import { uniqueEmail } from '../harness.js';
import { stackOnSwarm } from '../support/stack-deploy.js';
import { createInstanceInBrowser, openInstanceAtSubdomain, signUpAndConfirm } from '../support/stack-deploy-first-run.js';
import { expectHardenedServices, expectReadyThroughEdge } from '../support/stack-deploy-hardening.js';
import { killOneOfEachUnderLoad, scaleApiAndWorkerTo2 } from '../support/stack-deploy-replicas.js';
import { rollApiWhilePolling } from '../support/stack-deploy-rolling-update.js';

/**
 * The packaging: deploy/stack.yaml deployed by scripts/deploy-stack.sh (secrets, the migrations' one-shot job,
 * `docker stack deploy`) on a one-node swarm of the lab, from the images scripts/build-images.sh builds offline
 * (reused when their inputs did not change), then the browser's first run against it through its edge: sign up,
 * confirm the address from the mail, create an instance, watch it provision, open it at its subdomain.
 * Last, the API and the worker scaled to 2 replicas, and one task of each SIGKILLed under a request load through
 * the edge: no failed read, no lost job (docs/deploy.md#replicas-and-scaling).
 *
 * Instances run the Odoo stand-in (`odoo-standin:18.0`, a fast test fixture, not Odoo), as the other swarm tests do.
 * PostgreSQL and Redis are "external": the host's, reached from the lab through forwarders on the lab's host
 * address (the platform's role is admitted over loopback only). The browser reaches the edge's host-mode port on the
 * node through a forwarder on 127.0.0.1 (its namespace hands loopback traffic to the host's). Local mode
 * (NODE_ENV=development, http://localhost URLs, the dev mailbox): production's https and SMTP are not tested here.
 *
 * The stack is deployed once for the whole file (over 100 s), and each step builds on the one before, so the steps are
 * one sequence here: the deployment and its teardown in test/support/stack-deploy.ts, then the hardening checks
 * (stack-deploy-hardening.ts), the API's rolling update under polling (stack-deploy-rolling-update.ts), the browser's
 * first run (stack-deploy-first-run.ts) and the replicas scaled and killed under load (stack-deploy-replicas.ts).
 */
const stack = stackOnSwarm();

beforeAll(async () => {
  await stack.deploy();
}, 600_000);

afterAll(async () => {
  await stack.remove();
}, 180_000);

describe('the platform deployed as a stack on a one-node swarm', () => {
  it('runs the API, worker and edge as the stack file says: secrets, limits, non-root, read-only, start-first', async () => {
    await expectHardenedServices(stack);
  }, 180_000);

  it('answers ready through the edge, with both SPAs', async () => {
    await expectReadyThroughEdge(stack);
  }, 150_000);

  it('rolls the API over start-first while the edge keeps reaching it', async () => {
    await rollApiWhilePolling(stack);
  }, 180_000);

  describe('the first run in a browser', () => {
    const id = Math.random().toString(36).slice(2, 8);
    const owner = { name: 'Ada Owner', email: uniqueEmail('stack-owner'), organization: `Ada Stack ${id}` };
    const slug = `stack-${id}`;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      const browser = stack.browser;
      if (!browser) throw new Error('the browser did not start');
      context = await browser.newContext();
      page = await context.newPage();
    });
    beforeEach(() => reportPageOnFailure(() => page));
    afterAll(async () => {
      await context?.close();
    });

    it('signs up and confirms the address from the mail', async () => {
      await signUpAndConfirm(stack, page, owner);
    }, 90_000);

    it('creates an instance and watches it provision on the swarm', async () => {
      await createInstanceInBrowser(stack, page, slug);
    }, 180_000);

    it('serves the instance at its subdomain through the edge', async () => {
      await openInstanceAtSubdomain(stack, context, slug);
    }, 60_000);
  });

  describe('two replicas of the API and the worker, one of each killed under load', () => {
    it('scales the API and the worker to 2 replicas', async () => {
      await scaleApiAndWorkerTo2(stack);
    }, 180_000);

    it('loses no job and fails no read while one API task and one worker task are SIGKILLed', async () => {
      await killOneOfEachUnderLoad(stack);
    }, 300_000);
  });
});
