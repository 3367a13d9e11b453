import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { instanceNames, templateNames } from '../../src/instances/instance-names.js';
import { InstancesRepository, OdooVersionsRepository } from '../../src/instances/instances.repo.js';
import { buildTemplate } from '../../src/instances/template-builder.js';
import { heading, mailLink, reportPageOnFailure, signUp, visible } from '../e2e/pages.js';
import { type E2eStack, launchBrowser, startE2eStack } from '../e2e/stack.js';
import { uniqueEmail } from '../harness.js';
import { freePort } from '../support/nginx.js';
import { odooEnv, odooVersions } from './odoo-env.js';

/**
 * A new customer's first run, in Chromium, against real Odoo: sign up, confirm the address from the mail,
 * create an Odoo on the default starter plan (2 workers, so the bus runs on the gevent port) and follow its
 * setup live, reveal the one-time admin password, then open the Odoo at its subdomain and log in with it.
 * The web client must load without a page error and open its bus websocket through the edge.
 */

const VERSIONS = odooVersions();
/** Real Odoo compiles its asset bundles on the first request: the first web client load is slow on two cores. */
const ODOO_UI_TIMEOUT = 90_000;
/** Where each version's logged-in web client is captured (docs/screenshots/real-odoo-desktop.png is a copy of one). */
const screenshot = (version: string) => join(tmpdir(), `real-odoo-${version}-desktop.png`);

let stack: E2eStack;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let sockets: WorkerSockets;
const containers: string[] = [];

beforeAll(async () => {
  const devtoolsPort = await freePort();
  [stack, browser] = await Promise.all([
    startE2eStack({ env: { ...odooEnv(), PROVISION_FROM_TEMPLATE: 'true' } }),
    launchBrowser({ devtoolsPort }),
  ]);
  sockets = await watchSharedWorkerSockets(browser.address, devtoolsPort);
  // New customers get a clone of the version's template (the maintenance job builds it in production).
  for (const version of VERSIONS) {
    const started = Date.now();
    const built = await ensureTemplate(version);
    console.log(`[browser journey ${version}] template ${built}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
});
afterAll(async () => {
  sockets?.close();
  await browser?.close();
  // The rest (database, volume, network) goes with the suite's purge; the container would hold 1 GiB until then.
  for (const container of containers) await stack?.h.platform.runtime.removeContainer(container).catch(() => undefined);
  await stack?.close();
});

async function ensureTemplate(version: string): Promise<string> {
  const platform = stack.h.platform;
  const template = await new OdooVersionsRepository(platform.db).template(version);
  const image = platform.config.odooVersions.find((v) => v.version === version)?.image;
  const db = templateNames(platform.config.resourcePrefix, version).db;
  if (template?.status === 'ready' && template.image === image && (await platform.tenantDb.databaseExists(db))) return 'reused';
  const result = await buildTemplate(platform, version);
  expect(result).toBe('ready');
  return 'built';
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

for (const version of VERSIONS) {
  describe(`the first run with real Odoo ${version}, in the browser`, () => {
    it('signs up, verifies, creates an Odoo, reveals its admin password and logs in to its web client', async () => {
      const id = randomUUID().slice(0, 6);
      const owner = { name: 'Noor Owner', email: uniqueEmail('noor'), organization: `Noor Goods ${id}` };
      const slug = `noor-${id}`;
      const context = await browser.newContext();
      const page = await context.newPage();
      let watched = page;
      reportPageOnFailure(() => watched);
      const journey = Date.now();

      // Sign up; the app logs the new account in and asks for the address to be confirmed.
      await signUp(page, stack.webUrl, owner);

      // The link from the dev mailbox, opened in a new tab as a mail client does; the first tab unlocks creation.
      await page.getByRole('link', { name: 'Create your first Odoo' }).click();
      await visible(heading(page, 'Create your first Odoo'));
      const mailTab = await context.newPage();
      await mailTab.goto(await mailLink(stack.h.app, owner.email, 'Confirm'));
      await visible(mailTab.getByText('Email verified'));
      await mailTab.close();
      await page.getByRole('status').filter({ hasText: 'Confirm your email first' }).waitFor({ state: 'hidden' });

      // Create the first Odoo, on the tenant's default (starter) plan.
      await page.getByRole('textbox', { name: 'Name' }).fill('Noor Goods');
      await page.getByRole('textbox', { name: 'Subdomain' }).fill(slug);
      await visible(page.locator('#slug-state').getByText(`“${slug}” is available.`));
      await page.getByRole('combobox', { name: 'Odoo version' }).click();
      await page.getByRole('option', { name: new RegExp(`^Odoo ${version.replace('.', '\\.')}\\b`) }).click();
      await page.getByRole('button', { name: 'Create instance' }).click();
      const created = Date.now();

      // Live progress, step by step, until the Odoo is ready.
      await page.waitForURL(/\/instances\/[0-9a-f-]+\/setup$/);
      const instanceId = new URL(page.url()).pathname.split('/')[2] ?? '';
      containers.push(instanceNames(stack.h.platform.config.resourcePrefix, instanceId).container);
      const seen: string[] = [];
      const ready = page.getByRole('heading', { name: 'Your Odoo is ready' });
      const deadline = Date.now() + 180_000;
      while (!(await ready.isVisible())) {
        if (Date.now() > deadline) throw new Error(`not ready in time; steps seen: ${seen.join(', ')}`);
        const current = page.getByRole('list', { name: 'Steps' }).locator('[aria-current="step"]');
        const text = (await current.textContent({ timeout: 250 }).catch(() => ''))?.replace(/\s*\(in progress\)\s*$/, '').trim();
        if (text && seen.at(-1) !== text) seen.push(text);
        const failed = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
        if (await failed.isVisible()) throw new Error(`provisioning failed: ${await failed.textContent()}`);
        await page.waitForTimeout(100);
      }
      console.log(`[browser journey ${version}] create → ready in ${seconds(created)}; steps seen: ${seen.join(' → ')}`);
      expect(seen.length, seen.join(', ')).toBeGreaterThanOrEqual(2);
      const instance = await new InstancesRepository(stack.h.platform.db).findById(instanceId);
      expect(instance?.provisionPath).toBe('template');

      // The one-time admin password.
      await page.getByRole('button', { name: 'Show admin password' }).click();
      const dialog = await visible(page.getByRole('dialog', { name: 'Show the admin password?' }));
      await dialog.getByRole('button', { name: 'Show it now' }).click();
      const shown = await visible(page.getByRole('status').filter({ hasText: 'Shown only this once' }));
      const login = await shown.getByRole('textbox', { name: 'Login' }).inputValue();
      const password = await shown.getByRole('textbox', { name: 'Password' }).inputValue();
      expect(login).toBe('admin');
      expect(password.length).toBeGreaterThanOrEqual(12);

      // Odoo at its subdomain, opened from the card's link: its own login page.
      const [odoo] = await Promise.all([context.waitForEvent('page'), shown.getByRole('link', { name: /Open Odoo and sign in/ }).click()]);
      watched = odoo;
      const pageErrors: string[] = [];
      const consoleErrors: string[] = [];
      const failedResponses: string[] = [];
      odoo.on('pageerror', (err) => pageErrors.push(err.stack ?? err.message));
      odoo.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      odoo.on('response', (res) => {
        if (res.status() >= 400) failedResponses.push(`${res.status()} ${res.url()}`);
      });
      const opened = Date.now();
      await odoo.waitForURL(`${stack.instanceUrl(slug)}/web/login**`, { timeout: ODOO_UI_TIMEOUT });
      await visible(odoo.locator('input[name="login"]'), ODOO_UI_TIMEOUT);
      console.log(`[browser journey ${version}] login page in ${seconds(opened)}`);

      // Log in with the revealed password: the web client loads, with its navbar and user menu.
      await odoo.locator('input[name="login"]').fill(login);
      await odoo.locator('input[name="password"]').fill(password);
      const loggedIn = Date.now();
      await odoo.getByRole('button', { name: 'Log in' }).click();
      await visible(odoo.locator('.o_main_navbar'), ODOO_UI_TIMEOUT);
      await visible(odoo.locator('.o_user_menu'), ODOO_UI_TIMEOUT);
      expect(new URL(odoo.url()).pathname).not.toBe('/web/login');
      console.log(`[browser journey ${version}] web client in ${seconds(loggedIn)} after "Log in"`);

      // Odoo's bus: its SharedWorker's websocket, upgraded (101) through the edge and still open. The DevTools view
      // of a SharedWorker depends on when Chromium lets the watcher attach: when it saw the socket, it must be healthy;
      // the edge's access log below is the proof either way.
      await odoo.waitForTimeout(2_000);
      const socket = await sockets
        .waitFor((s) => new URL(s.url).host === new URL(stack.instanceUrl(slug)).host, 10_000)
        .catch(() => undefined);
      if (socket) {
        expect(new URL(socket.url).pathname).toBe('/websocket');
        expect(socket.status).toBe(101);
        expect(socket.error).toBeUndefined();
        expect(socket.closed).toBe(false);
      }
      console.log(
        `[browser journey ${version}] websocket ${socket ? `101 at ${socket.url}` : 'not seen by DevTools'}; whole journey ${seconds(journey)}`,
      );

      await odoo.screenshot({ path: screenshot(version) });
      expect(pageErrors).toEqual([]);
      expect(consoleErrors).toEqual([]);
      expect(failedResponses).toEqual([]);

      // Once the tab is closed, the edge has logged the upgrade of the browser's websocket.
      await context.close();
      const host = new URL(stack.instanceUrl(slug)).hostname;
      const deadlineLog = Date.now() + 15_000;
      let upgrades: string[] = [];
      while (upgrades.length === 0 && Date.now() < deadlineLog) {
        const log = await readFile(join(stack.edge.dir, 'logs', 'access.log'), 'utf8').catch(() => '');
        // `... "GET /websocket... HTTP/1.1" 101 <bytes> <request time> ...`: answered 101, and open until the tab closed.
        upgrades = log
          .split('\n')
          .filter((line) => line.includes(`"${host}" "GET /websocket`))
          .filter((line) => Number(/" 101 \d+ ([\d.]+) /.exec(line)?.[1] ?? 0) >= 1.5);
        if (upgrades.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(upgrades.length, `no "GET /websocket" answered 101 and kept open for ${host} in the edge's access log`).toBeGreaterThan(0);

      // Odoo itself logged no error while serving all of this.
      const logs = await stack.h.platform.runtime.logs(instanceNames(stack.h.platform.config.resourcePrefix, instanceId).container, {
        tail: 5000,
        follow: false,
      });
      let text = '';
      for await (const chunk of logs) text += Buffer.from(chunk).toString('utf8');
      expect(text.split('\n').filter((line) => / (ERROR|CRITICAL) /.test(line) || line.startsWith('Traceback'))).toEqual([]);
    }, 360_000);
  });
}

interface SeenSocket {
  url: string;
  status?: number;
  error?: string;
  closed: boolean;
  framesSent: number;
  framesReceived: number;
}

/** The parts of DevTools protocol messages read here (a command's answer, or an event). */
interface DevtoolsMessage {
  id?: number;
  error?: { message: string };
  method?: string;
  sessionId?: string;
  params?: { sessionId?: string; requestId?: string; url?: string; response?: { status: number }; errorMessage?: string };
}

interface WorkerSockets {
  waitFor(match: (socket: SeenSocket) => boolean, timeoutMs: number): Promise<SeenSocket>;
  close(): void;
}

/**
 * The websockets that shared workers open (Odoo's bus lives in a SharedWorker, which Playwright does not
 * follow): a second DevTools client auto-attaches to each shared worker before it runs and records the
 * Network events of its websockets.
 */
async function watchSharedWorkerSockets(address: string, devtoolsPort: number): Promise<WorkerSockets> {
  const { webSocketDebuggerUrl } = (await (await fetch(`http://${address}:${devtoolsPort}/json/version`)).json()) as {
    webSocketDebuggerUrl: string;
  };
  const cdp = new WebSocket(webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    cdp.once('open', resolve);
    cdp.once('error', reject);
  });
  const seen = new Map<string, SeenSocket>();
  const answers = new Map<number, (error?: string) => void>();
  let nextId = 0;
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<void>((resolve, reject) => {
      const id = ++nextId;
      answers.set(id, (error) => (error ? reject(new Error(`${method}: ${error}`)) : resolve()));
      cdp.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  cdp.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as DevtoolsMessage;
    if (message.id !== undefined) {
      answers.get(message.id)?.(message.error?.message);
      answers.delete(message.id);
      return;
    }
    const params = message.params ?? {};
    if (message.method === 'Target.attachedToTarget') {
      // The worker waits for this client: its websockets are seen from the first one.
      const session = params.sessionId;
      send('Network.enable', {}, session)
        .then(() => send('Runtime.runIfWaitingForDebugger', {}, session))
        .catch(() => undefined);
      return;
    }
    const key = `${message.sessionId}/${params.requestId}`;
    const socket = seen.get(key);
    switch (message.method) {
      case 'Network.webSocketCreated':
        seen.set(key, { url: params.url ?? '', closed: false, framesSent: 0, framesReceived: 0 });
        break;
      case 'Network.webSocketHandshakeResponseReceived':
        if (socket) socket.status = params.response?.status;
        break;
      case 'Network.webSocketFrameSent':
        if (socket) socket.framesSent++;
        break;
      case 'Network.webSocketFrameReceived':
        if (socket) socket.framesReceived++;
        break;
      case 'Network.webSocketFrameError':
        if (socket) socket.error = params.errorMessage;
        break;
      case 'Network.webSocketClosed':
        if (socket) socket.closed = true;
        break;
    }
  });
  await send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: true,
    flatten: true,
    filter: [{ type: 'shared_worker' }, { exclude: true }],
  });
  return {
    async waitFor(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = [...seen.values()].find((s) => match(s) && s.status !== undefined);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no websocket handshake within ${timeoutMs} ms; seen: ${JSON.stringify([...seen.values()])}`);
    },
    close: () => cdp.close(),
  };
}
