// Screenshots of the custom domains section against mocked API answers (no server needed), plus a
// walk through adding, verifying (polled) and a failure. Build first (`npm run build -w @saas/web`), then:
//   node apps/web/scripts/custom-domains-screenshots.mjs [outDir]   (default: docs/screenshots)
// Chromium: CHROMIUM_PATH or /usr/bin/chromium.
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const dist = resolve(import.meta.dirname, '../dist');
const outDir = resolve(process.argv[2] ?? join(import.meta.dirname, '../../../docs/screenshots'));
const origin = 'http://app.test';

const tenantId = '11111111-1111-4111-8111-111111111111';
const instanceId = '22222222-2222-4222-8222-222222222222';
const now = Date.now();
const iso = (offsetMs) => new Date(now + offsetMs).toISOString();
const DAY = 86_400_000;

const instance = {
  id: instanceId,
  tenantId,
  name: 'Acme ERP',
  slug: 'acme',
  version: '18.0',
  status: 'running',
  desiredState: 'running',
  url: 'https://acme.odoo.example.net',
  limits: { memoryMb: 2048, cpuMillis: 1000, pids: 256, storageGb: 10, workers: 2 },
  progress: null,
  lastError: null,
  provisionPath: 'template',
  credentialsAvailable: false,
  createdAt: iso(-30 * DAY),
  updatedAt: iso(-DAY),
  readyAt: iso(-30 * DAY),
};

const records = (domain) => [
  { type: 'CNAME', name: domain, value: 'acme.odoo.example.net', use: 'for a subdomain such as erp.example.com' },
  { type: 'A', name: domain, value: '203.0.113.10', use: 'for an apex domain such as example.com (no CNAME possible)' },
];
let n = 0;
const domainOf = (domain, status, extra = {}) => {
  n += 1;
  const id = `33333333-3333-4333-8333-${String(n).padStart(12, '0')}`;
  const token = `tok${n}Zq8v1mXb2Rk7sPl0aW3nYc5dFh9jGt`;
  return {
    id,
    instanceId,
    domain,
    status,
    lastError: null,
    dnsRecords: records(domain),
    verification: { url: `http://${domain}/.well-known/odoo-saas/${token}`, token },
    certificateExpiresAt: null,
    lastCheckedAt: null,
    verifiedAt: null,
    activatedAt: null,
    createdAt: iso(-2 * DAY),
    updatedAt: iso(-DAY),
    ...extra,
  };
};

const initialDomains = () => {
  n = 0;
  return [
    domainOf('erp.acme-corp.com', 'active', {
      certificateExpiresAt: iso(74 * DAY),
      lastCheckedAt: iso(-16 * DAY),
      verifiedAt: iso(-16 * DAY),
      activatedAt: iso(-16 * DAY),
    }),
    domainOf('shop.acme-corp.com', 'pending_dns'),
    domainOf('acme-corp.com', 'failed', {
      lastError:
        'The certificate authority refused the certificate: acme-corp.com: CAA record for acme-corp.com prevents issuance (urn:ietf:params:acme:error:caa)',
      lastCheckedAt: iso(-3 * 60_000),
      verifiedAt: iso(-3 * 60_000),
    }),
  ];
};

const json = (route, status, body) =>
  route.fulfill({
    status,
    contentType: status >= 400 ? 'application/problem+json' : 'application/json',
    body: body === undefined ? '' : JSON.stringify(body),
  });
const problem = (status, code, detail, errors) => ({ type: `about:blank`, title: 'Error', status, code, detail, errors });

/** The mocked API: `state.domains` is what GET answers; `state.onVerify` decides how a verification goes. */
function mockApi(page, state, role) {
  const me = {
    user: {
      id: '44444444-4444-4444-8444-444444444444',
      email: 'ana@acme-corp.com',
      name: 'Ana Owner',
      emailVerified: true,
      platformRole: null,
      totpEnabled: true,
      createdAt: iso(-60 * DAY),
    },
    tenants: [{ id: tenantId, name: 'Acme Corp', role }],
  };
  return page.route(`${origin}/**`, async (route) => {
    const url = new URL(route.request().url());
    const method = route.request().method();
    const path = url.pathname;
    if (!path.startsWith('/api/')) {
      const file = join(dist, path);
      const body = await readFile(extname(path) ? file : join(dist, 'index.html')).catch(() => null);
      if (!body) return route.fulfill({ status: 404 });
      const types = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.html': 'text/html' };
      return route.fulfill({ status: 200, body, contentType: types[extname(path) || '.html'] ?? 'application/octet-stream' });
    }
    const p = path.replace('/api/v1', '');
    if (p === '/auth/refresh') return json(route, 200, { accessToken: 'token', expiresIn: 900 });
    if (p === '/me') return json(route, 200, me);
    if (p === `/instances/${instanceId}`) return json(route, 200, instance);
    if (p === `/instances/${instanceId}/stats`)
      return json(route, 200, {
        cpuPercent: 3,
        memoryBytes: 4e8,
        memoryLimitBytes: 2e9,
        diskBytes: 1e9,
        databaseBytes: 2e8,
        at: new Date().toISOString(),
      });
    if (p === `/instances/${instanceId}/domains` && method === 'GET') return json(route, 200, state.domains);
    if (p === `/instances/${instanceId}/domains` && method === 'POST') {
      const name = JSON.parse(route.request().postData() ?? '{}')
        .domain.trim()
        .toLowerCase();
      if (state.domains.some((d) => d.domain === name))
        return json(route, 409, problem(409, 'domain_taken', 'This domain is already used by an instance on this platform.'));
      if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name)) {
        const message = 'Enter a domain name such as erp.example.com (letters, digits, hyphens and dots).';
        return json(route, 400, problem(400, 'validation_failed', message, [{ field: 'domain', code: 'invalid_domain', message }]));
      }
      const added = domainOf(name, 'pending_dns', { createdAt: new Date().toISOString() });
      state.domains = [...state.domains, added];
      return json(route, 201, added);
    }
    const one = /^\/instances\/[^/]+\/domains\/([^/]+)(\/verify)?$/.exec(p);
    if (one) {
      const d = state.domains.find((x) => x.id === one[1]);
      if (!d) return json(route, 404, problem(404, 'not_found', 'Domain not found.'));
      if (one[2] && method === 'POST') {
        Object.assign(d, { status: 'verifying', lastError: null, updatedAt: new Date().toISOString() });
        state.verifyStarted = Date.now();
        return json(route, 202, d);
      }
      if (method === 'DELETE') {
        state.domains = state.domains.filter((x) => x.id !== d.id);
        return route.fulfill({ status: 204 });
      }
      state.polls = (state.polls ?? 0) + 1;
      state.onPoll?.(d);
      return json(route, 200, d);
    }
    if (p.startsWith('/tenants/') || p.endsWith('/history')) return json(route, 200, []);
    console.warn('unmocked', method, p);
    return json(route, 404, problem(404, 'route_not_found', 'Not mocked.'));
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const checks = [];
// DEBUG_DIR=/some/dir keeps full-page shots of the walk-through's steps.
const debugShot = (page, step) =>
  process.env.DEBUG_DIR ? page.screenshot({ path: join(process.env.DEBUG_DIR, `custom-domains-${step}.png`), fullPage: true }) : null;
const check = (name, ok, detail = '') => {
  checks.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
};

async function openSection(viewport, role = 'owner') {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const state = { domains: initialDomains() };
  await mockApi(page, state, role);
  await page.goto(`${origin}/instances/${instanceId}?tab=settings`);
  await page.getByRole('heading', { name: 'Custom domains' }).waitFor();
  await page.getByRole('heading', { name: 'acme-corp.com', exact: true }).waitFor();
  return { context, page, state };
}

// Screenshots: owner view, desktop and phone.
for (const [name, viewport] of [
  ['custom-domains-desktop.png', { width: 1280, height: 800 }],
  ['custom-domains-phone.png', { width: 390, height: 844 }],
]) {
  const { context, page } = await openSection(viewport);
  // The page, clipped to the section with a margin (an element shot would slide it under the sticky header).
  const box = await page.locator('section[aria-labelledby="custom-domains-title"]').boundingBox();
  const scrollY = await page.evaluate(() => window.scrollY);
  const margin = 16;
  await page.screenshot({
    path: join(outDir, name),
    fullPage: true,
    animations: 'disabled',
    clip: {
      x: Math.max(0, box.x - margin),
      y: box.y + scrollY - margin,
      width: Math.min(viewport.width, box.width + 2 * margin),
      height: box.height + 2 * margin,
    },
  });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(`${name}: no sideways scrolling`, overflow <= 0, `overflow ${overflow}px`);
  await context.close();
}

// Behaviour: field errors, add → DNS records + focus, verify → polling → failure, remove.
{
  const { context, page, state } = await openSection({ width: 390, height: 844 });
  const input = page.getByLabel('Domain name');
  await input.fill('erp.acme-corp.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await page.getByText('This domain is already used by an instance on this platform.').waitFor();
  check('domain_taken shown at the field', (await input.getAttribute('aria-invalid')) === 'true');
  check('focus on the invalid field', await input.evaluate((el) => el === document.activeElement));
  await input.fill('not a domain');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await page.getByText('Enter a domain name such as erp.example.com (letters').waitFor();
  check('invalid_domain shown at the field', true);

  await input.fill('crm.acme-corp.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  const heading = page.getByRole('heading', { name: 'crm.acme-corp.com' });
  await heading.waitFor();
  await page.waitForFunction(() => document.activeElement?.textContent === 'crm.acme-corp.com');
  check('focus moves to the added domain', true);
  const card = page.getByRole('listitem').filter({ has: heading });
  check('added domain shows its DNS records', (await card.getByText('acme.odoo.example.net').count()) === 1);
  check(
    'live region announces the addition',
    (await page.getByRole('status').filter({ hasText: 'crm.acme-corp.com added' }).count()) === 1,
  );

  // The worker: verifying for ~2 polls, then issuing, then the CA refuses.
  state.onPoll = (d) => {
    if (d.domain !== 'crm.acme-corp.com') return;
    state.crmPolls = (state.crmPolls ?? 0) + 1;
    const polls = state.crmPolls;
    if (polls === 2) Object.assign(d, { status: 'issuing', verifiedAt: new Date().toISOString() });
    if (polls === 3)
      Object.assign(d, {
        status: 'failed',
        lastCheckedAt: new Date().toISOString(),
        lastError:
          'The certificate authority refused the certificate: crm.acme-corp.com: Fetching http://crm.acme-corp.com/.well-known/acme-challenge/x: Timeout during connect (likely firewall problem) (urn:ietf:params:acme:error:connection)',
      });
  };
  const started = Date.now();
  await card.getByRole('button', { name: 'Verify now' }).click();
  await card.getByText('Checking that crm.acme-corp.com reaches this platform').waitFor();
  await debugShot(page, 'verifying');
  await card.getByText('Obtaining the certificate').waitFor();
  await card.getByText('Issuing certificate').waitFor();
  await debugShot(page, 'issuing');
  await card.getByText('The certificate could not be obtained').waitFor({ timeout: 15_000 });
  const took = Date.now() - started;
  check('polled every ~2 s until failed', took > 3_500 && took < 9_000, `${state.crmPolls} polls in ${took} ms`);
  check('failure shows the CA type', (await card.getByText('urn:ietf:params:acme:error:connection').count()) >= 1);
  check(
    'failure announced',
    (await page.getByRole('status').filter({ hasText: 'crm.acme-corp.com failed: The certificate authority' }).count()) === 1,
  );
  check(
    'polling stopped after failure',
    await new Promise((r) => setTimeout(() => r(state.crmPolls === 3), 4_500)),
    `${state.crmPolls} polls`,
  );
  await debugShot(page, 'failed');

  await card.getByRole('button', { name: 'Remove crm.acme-corp.com' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove domain' }).click();
  await heading.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.id === 'custom-domains-title');
  check('removed; focus on the section title', true);
  await context.close();
}

// A member: read-only.
{
  const { context, page } = await openSection({ width: 1280, height: 800 }, 'member');
  check('member: no add form', (await page.getByLabel('Domain name').count()) === 0);
  check('member: no verify or remove', (await page.getByRole('button', { name: /Verify|Remove/ }).count()) === 0);
  check('member: DNS records still shown', (await page.getByText('Create one of these records').count()) === 1);
  await debugShot(page, 'member');
  await context.close();
}

await browser.close();
const failed = checks.filter((c) => !c.ok);
console.log(failed.length ? `${failed.length} check(s) failed` : `all ${checks.length} checks passed`);
process.exit(failed.length ? 1 : 0);
