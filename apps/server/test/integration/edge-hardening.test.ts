import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRoute } from '../../src/edge/edge-router.js';
import { nginxMasterPid } from '../../src/edge/nginx-process.js';
import { createTestEdge, request, type TestEdge } from '../support/nginx.js';
import { type StandIn, startHttpStandIn, startWebsocketStandIn } from '../support/upstream.js';

const exec = promisify(execFile);

/** The edge's share of issue 11: API allow-list, Odoo brute-force limits, no tokens in logs, unprivileged workers. */

let edge: TestEdge;
let api: StandIn;
let odoo: StandIn;
let gevent: StandIn;

const FIRST = '33333333-3333-4333-8333-333333333333';
const SECOND = '44444444-4444-4444-8444-444444444444';
const route = (instanceId: string, slug: string, hosts: string[]): InstanceRoute => ({
  instanceId,
  slug,
  hosts,
  upstream: { http: `127.0.0.1:${odoo.port}`, websocket: `127.0.0.1:${gevent.port}` },
  state: 'active',
});

const get = (host: string, path: string, options?: Parameters<typeof request>[3]) => request(edge.httpPort, host, path, options);
const accessLog = () => readFile(join(edge.dir, 'logs', 'access.log'), 'utf8').catch(() => '');

beforeAll(async () => {
  [api, odoo, gevent] = await Promise.all([startHttpStandIn('api'), startHttpStandIn('odoo'), startWebsocketStandIn()]);
  // Small budgets so a burst shows the limit at once.
  edge = await createTestEdge({
    apiPort: api.port,
    limits: { odooRpcPerSecond: 1, odooRpcBurst: 4, odooLoginPerMinute: 1, odooLoginBurst: 3 },
  });
  for (const root of [edge.settings.webRoot, edge.settings.adminRoot]) {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>SPA</title>');
  }
  await edge.start();
  await edge.router.applyRoute(route(FIRST, 'first', ['first.localhost', 'erp.first-customer.example']));
  await edge.router.applyRoute(route(SECOND, 'second', ['second.localhost']));
});

afterAll(async () => {
  await edge?.stop();
  await Promise.all([api?.close(), odoo?.close(), gevent?.close()]);
});

describe('backup uploads and downloads through the edge', () => {
  it('lets a backup upload through past the API’s usual body limit, and no other route', async () => {
    const body = 'x'.repeat(5 * 2 ** 20);
    const headers = { 'content-type': 'application/zip' };
    const upload = await get('localhost', `/api/v1/instances/${FIRST}/backups/upload`, { method: 'POST', headers, body });
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toMatchObject({ upstream: 'api', url: `/api/v1/instances/${FIRST}/backups/upload` });
    const other = await get('localhost', `/api/v1/instances/${FIRST}/domains`, { method: 'POST', headers, body });
    expect(other.status).toBe(413);
    // Only the exact upload path: a look-alike under it is the ordinary API.
    const lookAlike = await get('localhost', `/api/v1/instances/${FIRST}/backups/upload/x`, { method: 'POST', headers, body });
    expect(lookAlike.status).toBe(413);
  });

  it('proxies signed download links to the API', async () => {
    const res = await get('localhost', `/api/v1/backup-downloads/${FIRST}?expires=1&signature=x`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ upstream: 'api' });
  });
});

describe('the API through the edge: an allow-list', () => {
  it('answers 404 for every path under /api outside /api/v1/ and the docs, without reaching the API', async () => {
    const before = api.seen.length;
    for (const host of ['localhost', 'admin.localhost']) {
      for (const path of [
        '/api/metrics',
        '/api/metrics/',
        '/api/metrics?x=1',
        '/api//metrics',
        '/api/v1/../metrics',
        '/api/v1/%2e%2e/metrics',
        '/api/./metrics',
        '/api/internal/anything',
        '/api/anything-else',
        '/api',
        '/api/v1',
        '/api/openapi.json/x',
      ]) {
        const res = await get(host, path);
        expect(res.status, `${host}${path}`).toBe(404);
        expect(res.headers['content-type'], path).toBe('application/problem+json');
        expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'route_not_found' });
      }
    }
    expect(api.seen.length).toBe(before);
  });

  it('proxies /api/v1/, the OpenAPI document and the docs', async () => {
    for (const path of ['/api/v1/ready', '/api/v1/health', '/api/openapi.json', '/api/docs', '/api/docs/json']) {
      const res = await get('localhost', path);
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ upstream: 'api', url: path });
    }
  });
});

describe("Odoo's password checks at the edge", () => {
  const burst = async (host: string, path: string, count: number, from?: string) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const res = await get(host, path, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        ...(from ? { from } : {}),
      });
      statuses.push(res.status);
    }
    return statuses;
  };

  it('answers a burst on /jsonrpc with 429 after the burst, per client address and instance', async () => {
    // 1 r/s with a burst of 4: 5 pass at once (4 burst + the current slot), the rest wait.
    const first = await burst('first.localhost', '/jsonrpc', 10, '127.0.0.3');
    expect(first.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(first.slice(6)).toEqual([429, 429, 429, 429]);
    const limited = await get('first.localhost', '/jsonrpc', { method: 'POST', from: '127.0.0.3' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    // The instance's custom domain shares its budget: a second host is no way around the limit.
    expect((await burst('erp.first-customer.example', '/jsonrpc', 1, '127.0.0.3'))[0]).toBe(429);
    // Another instance, same client: unaffected.
    expect(await burst('second.localhost', '/jsonrpc', 3, '127.0.0.3')).toEqual([200, 200, 200]);
    // Another client (a second loopback source address), same instance: unaffected.
    expect(await burst('first.localhost', '/jsonrpc', 3, '127.0.0.4')).toEqual([200, 200, 200]);
    // The external API's other doors share the zone.
    expect((await burst('first.localhost', '/xmlrpc/2/object', 1, '127.0.0.3'))[0]).toBe(429);
  });

  it('limits the login endpoints (/web/session/authenticate, /xmlrpc/2/common, /web/login) more tightly', async () => {
    for (const path of ['/web/session/authenticate', '/xmlrpc/2/common', '/web/login', '/xmlrpc/common']) {
      const source = `127.0.0.${10 + ['/web/session/authenticate', '/xmlrpc/2/common', '/web/login', '/xmlrpc/common'].indexOf(path)}`;
      const statuses = await burst('second.localhost', path, 6, source);
      expect(statuses.slice(0, 4), path).toEqual([200, 200, 200, 200]);
      expect(statuses.slice(4), path).toEqual([429, 429]);
    }
    // One shared login budget per client and instance: after /web/login is spent, so is /xmlrpc/2/common.
    expect((await burst('second.localhost', '/xmlrpc/2/common', 1, '127.0.0.12'))[0]).toBe(429);
  });
});

describe('logs', () => {
  it('never write a query string (tokens) to the access log', async () => {
    const secrets = ['verify-Secret-1a2b3c', 'reset-Secret-4d5e6f', 'portal-Secret-7a8b9c', 'api-Secret-0d1e2f'];
    expect((await get('localhost', `/verify-email?token=${secrets[0]}`)).status).toBe(200);
    expect((await get('admin.localhost', `/reset-password?email=a%40b.c&token=${secrets[1]}`)).status).toBe(200);
    expect((await get('second.localhost', `/my/orders/7?access_token=${secrets[2]}`)).status).toBe(200);
    expect((await get('localhost', `/api/v1/health?token=${secrets[3]}`)).status).toBe(200);
    const log = await accessLog();
    expect(log).toContain('"GET /verify-email?[query hidden] HTTP/1.1" 200');
    expect(log).toContain('"GET /my/orders/7?[query hidden] HTTP/1.1" 200');
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(await edge.errorLog()).not.toMatch(/Secret-/);
  });
});

describe('nginx processes', () => {
  it.runIf(process.getuid?.() === 0)('runs its workers as www-data while the master stays root', async () => {
    const master = await nginxMasterPid(edge.dir);
    expect(master).not.toBeNull();
    const { stdout: masterUser } = await exec('ps', ['-o', 'user=', '-p', String(master)]);
    expect(masterUser.trim()).toBe('root');
    const { stdout } = await exec('ps', ['-o', 'user=', '--ppid', String(master)]);
    const users = stdout
      .trim()
      .split('\n')
      .map((u) => u.trim());
    expect(users.length).toBeGreaterThanOrEqual(2);
    expect(new Set(users)).toEqual(new Set(['www-data']));
    // And they serve what they must read: the SPA and an ACME challenge.
    expect((await get('localhost', '/')).status).toBe(200);
    await writeFile(join(edge.router.paths.webroot, '.well-known', 'acme-challenge', 'w0rker-check'), 'ok');
    expect((await get('first.localhost', '/.well-known/acme-challenge/w0rker-check')).body).toBe('ok');
  });
});
