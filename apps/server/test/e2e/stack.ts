import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { CertificateStore } from '../../src/edge/certificate-store.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { type Harness, startHarness } from '../harness.js';
import { createPlatformEdge, freePort, type PlatformEdge } from '../support/nginx.js';
import { selfSignedCert } from '../support/pebble.js';
import { chromiumInNamespace } from './browser-netns.js';
import { UI_TIMEOUT } from './pages.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const WEB_DIST = join(REPO, 'apps/web/dist');
export const ADMIN_DIST = join(REPO, 'apps/admin/dist');

/**
 * The whole platform as a browser sees it: the real API listening on a loopback port with a real
 * worker, behind a private nginx (EDGE_ROUTER=nginx) that serves the built SPAs, proxies /api and
 * routes each instance's subdomain. Chromium resolves *.localhost to 127.0.0.1 by itself.
 */
export interface E2eStack {
  h: Harness;
  edge: PlatformEdge;
  /** http://localhost:<edge port> */
  webUrl: string;
  /** http://admin.localhost:<edge port> */
  adminUrl: string;
  /** http://<slug>.localhost:<edge port> */
  instanceUrl(slug: string): string;
  close(): Promise<void>;
}

/**
 * `env`: settings merged over the stack's own (another database, prefix or Odoo images; PROVISION_FROM_TEMPLATE).
 * `metricsPort`: the API's internal listener (its Prometheus metrics) also listens there, on loopback.
 * `tls`: PUBLIC_URL and ADMIN_URL are https:// on the edge's HTTPS port, with a self-signed certificate for
 * both hosts (the browser context must ignore certificate errors); instances stay on plain HTTP (`instanceUrl`).
 */
export async function startE2eStack(
  options: { env?: Record<string, string>; metricsPort?: number; tls?: boolean } = {},
): Promise<E2eStack> {
  for (const dist of [WEB_DIST, ADMIN_DIST]) {
    if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} is not built: run \`npm run build\` at the repository root first.`);
  }
  const edge = await createPlatformEdge({ tls: options.tls ?? false });
  if (options.tls) await storeSelfSignedCerts(edge.dir, ['localhost', 'admin.localhost']);
  const apiPort = await freePort();
  const h = await startHarness({
    env: {
      ...edge.env,
      EDGE_WEB_ROOT: WEB_DIST,
      EDGE_ADMIN_ROOT: ADMIN_DIST,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      // No template database is built for this suite: each instance initializes its own.
      PROVISION_FROM_TEMPLATE: 'false',
      ...options.env,
    },
  });
  try {
    await h.app.listen({ host: '127.0.0.1', port: apiPort });
    if (options.metricsPort !== undefined) await h.app.internal.listen({ host: '127.0.0.1', port: options.metricsPort });
    await edge.start(h.platform.edge as NginxEdgeRouter);
  } catch (err) {
    await h.close();
    await edge.stop();
    throw err;
  }
  const port = edge.httpPort;
  const platform = edge.httpsPort ? `https://%s:${edge.httpsPort}` : `http://%s:${port}`;
  return {
    h,
    edge,
    webUrl: platform.replace('%s', 'localhost'),
    adminUrl: platform.replace('%s', 'admin.localhost'),
    instanceUrl: (slug) => `http://${slug}.localhost:${port}`,
    async close() {
      await h.close();
      await edge.stop();
    },
  };
}

/** A self-signed certificate per host, where the edge reads its certificates (`<edge dir>/certs`). */
async function storeSelfSignedCerts(edgeDir: string, hosts: string[]) {
  const store = new CertificateStore(join(edgeDir, 'certs'));
  for (const host of hosts) {
    const dir = await mkdtemp(join(tmpdir(), 'e2e-cert-'));
    const cert = await selfSignedCert(dir, [host]);
    await store.write(host, cert.pem, await readFile(cert.keyFile));
    await rm(dir, { recursive: true, force: true });
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with nothing that phones home. Playwright gives each launch a fresh
 * user-data dir of its own (and removes it on close); each context is a separate cookie jar.
 * It runs in a network namespace of its own (browser-netns.ts). `args`: more command-line switches;
 * `devtoolsPort`: a DevTools port for a second CDP client, at `address`.
 */
export async function launchBrowser(
  options: { args?: string[]; devtoolsPort?: number } = {},
): Promise<{ browser: Browser; address: string; newContext: Browser['newContext']; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test does).`);
  const namespace = await chromiumInNamespace(CHROMIUM);
  const browser = await chromium.launch({
    executablePath: namespace.executable,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args ?? []),
      ...(options.devtoolsPort ? [`--remote-debugging-port=${options.devtoolsPort}`] : []),
    ],
  });
  return {
    browser,
    // The browser's own listeners (a DevTools port) are reached there, not on 127.0.0.1.
    address: namespace.address,
    async newContext(options) {
      const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC', ...options });
      context.setDefaultTimeout(UI_TIMEOUT);
      return context;
    },
    async close() {
      await browser.close();
    },
  };
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export type { BrowserContext };
