import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { EdgeInputError } from '../../src/edge/edge-names.js';
import { EdgeConfigError, EdgeSyncError, type InstanceRoute } from '../../src/edge/edge-router.js';
import { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { createTestEdge, freePort, request, type TestEdge } from '../support/nginx.js';
import { type StandIn, startHttpStandIn, startWebsocketStandIn } from '../support/upstream.js';

let edge: TestEdge;
let api: StandIn;
let odoo: StandIn;
let gevent: StandIn;

const ACTIVE = '11111111-1111-4111-8111-111111111111';
const STOPPED = '22222222-2222-4222-8222-222222222222';

const activeRoute = (): InstanceRoute => ({
  instanceId: ACTIVE,
  slug: 'acme',
  hosts: ['acme.localhost', 'shop.customer-test.example'],
  upstream: { http: `127.0.0.1:${odoo.port}`, websocket: `127.0.0.1:${gevent.port}` },
  state: 'active',
});

const get = (host: string, path: string, options?: Parameters<typeof request>[3]) => request(edge.httpPort, host, path, options);

beforeAll(async () => {
  [api, odoo, gevent] = await Promise.all([startHttpStandIn('api'), startHttpStandIn('odoo'), startWebsocketStandIn()]);
  edge = await createTestEdge({ apiPort: api.port, limits: { authPerMinute: 6, authBurst: 5 } });
  for (const [root, title] of [
    [edge.settings.webRoot, 'Web app'],
    [edge.settings.adminRoot, 'Admin dashboard'],
  ] as const) {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), `<!doctype html><title>${title}</title>`);
  }
  await edge.start();
  await edge.router.applyRoute(activeRoute());
  await edge.router.applyRoute({
    instanceId: STOPPED,
    slug: 'paused',
    hosts: ['paused.localhost'],
    upstream: { http: '127.0.0.1:1', websocket: '127.0.0.1:2' },
    state: 'stopped',
  });
});

afterAll(async () => {
  await edge?.stop();
  await Promise.all([api?.close(), odoo?.close(), gevent?.close()]);
});

describe('edge routing through a real nginx', () => {
  it('serves the web app and the admin dashboard on their hosts, with the security headers', async () => {
    const web = await get('localhost', '/');
    expect(web.status).toBe(200);
    expect(web.body).toContain('Web app');
    expect(web.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(web.headers['x-frame-options']).toBe('DENY');
    expect(web.headers['x-content-type-options']).toBe('nosniff');
    expect(web.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(web.headers.server).toBe('nginx');
    // No TLS here: no HSTS.
    expect(web.headers['strict-transport-security']).toBeUndefined();

    const deepLink = await get('localhost', '/team/members');
    expect(deepLink.body).toContain('Web app');

    const admin = await get('admin.localhost', '/');
    expect(admin.status).toBe(200);
    expect(admin.body).toContain('Admin dashboard');
  });

  it('proxies /api to the API with forwarded headers, and keeps internal routes inside', async () => {
    const res = await get('localhost', '/api/v1/health', { headers: { 'x-forwarded-for': '6.6.6.6' } });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen.upstream).toBe('api');
    expect(seen.url).toBe('/api/v1/health');
    // The client's own X-Forwarded-For is replaced, not trusted.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);

    const before = api.seen.length;
    expect((await get('localhost', '/api/metrics')).status).toBe(404);
    expect((await get('admin.localhost', '/api/metrics')).status).toBe(404);
    expect((await get('localhost', '/api/internal/anything')).status).toBe(404);
    expect(api.seen.length).toBe(before);
  });

  it('routes the instance subdomain and its custom domain to the instance, with what Odoo needs behind a proxy', async () => {
    for (const host of ['acme.localhost', 'shop.customer-test.example']) {
      const res = await get(host, '/odoo/action-1?debug=1', { headers: { 'x-forwarded-for': '6.6.6.6' } });
      expect(res.status, host).toBe(200);
      const seen = JSON.parse(res.body);
      expect(seen.upstream).toBe('odoo');
      expect(seen.url).toBe('/odoo/action-1?debug=1');
      expect(seen.headers['x-forwarded-host']).toBe(host);
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
      // Odoo embeds its own frames: the edge does not forbid framing on instance hosts.
      expect(res.headers['x-frame-options']).toBeUndefined();
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // Odoo builds its URLs from X-Forwarded-Host (proxy_mode): a non-default port is kept.
    const withPort = await get(`acme.localhost:${edge.httpPort}`, '/');
    expect(JSON.parse(withPort.body).headers['x-forwarded-host']).toBe(`acme.localhost:${edge.httpPort}`);
  });

  it("answers unknown hosts with the platform's 404 page", async () => {
    const res = await get('nobody.example.org', '/');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('No site here');
  });

  it('answers a stopped instance with the status page, 503 and Retry-After, but still serves ACME challenges', async () => {
    const res = await get('paused.localhost', '/web/login');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.body).toContain('This instance is stopped');

    await writeFile(join(edge.router.paths.webroot, '.well-known', 'acme-challenge', 'tok_en-1'), 'tok_en-1.thumb');
    for (const host of ['paused.localhost', 'acme.localhost', 'localhost', 'not-routed-yet.example.org']) {
      const challenge = await get(host, '/.well-known/acme-challenge/tok_en-1');
      expect(challenge.status, host).toBe(200);
      expect(challenge.body).toBe('tok_en-1.thumb');
    }
  });

  it("refuses Odoo's database manager at the edge, whatever the spelling", async () => {
    const before = odoo.seen.length;
    for (const path of [
      '/web/database/manager',
      '/web/database/selector',
      '/web/database/list',
      '/WEB/Database/manager',
      '/web//database/manager',
      '/web/%64atabase/manager',
      '/web/./database/backup',
      '/web/database',
    ]) {
      const res = await get('acme.localhost', path, { method: path.endsWith('backup') ? 'POST' : 'GET' });
      expect(res.status, path).toBe(404);
      expect(res.body, path).toContain('database manager is not available');
    }
    expect((await get('shop.customer-test.example', '/xmlrpc/2/db')).status).toBe(404);
    expect((await get('acme.localhost', '/xmlrpc/db')).status).toBe(404);
    expect(odoo.seen.length).toBe(before);
    // Routes that only look alike still reach Odoo.
    expect((await get('acme.localhost', '/web/databases-report')).status).toBe(200);
  });

  it('answers a burst on the auth endpoints with 429 problem JSON and Retry-After', async () => {
    const results = [];
    for (let i = 0; i < 12; i++) {
      results.push(
        await get('localhost', '/api/v1/auth/login', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }),
      );
    }
    expect(results[0]?.status).toBe(200);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    const first = limited[0];
    expect(first?.headers['content-type']).toBe('application/problem+json');
    expect(first?.headers['retry-after']).toBe('10');
    const problem = JSON.parse(first?.body ?? '');
    expect(problem).toMatchObject({ title: 'Too Many Requests', status: 429, code: 'rate_limited' });
    expect(problem.type).toMatch(/^https:\/\/.+\/rate_limited$/);
    expect(problem.requestId).toMatch(/^[0-9a-f]{32}$/);
    // The general API limit is separate: other endpoints still answer.
    expect((await get('localhost', '/api/v1/health')).status).toBe(200);
  });

  it('carries a websocket upgrade to the gevent port and echoes a frame', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.httpPort}/websocket?version=18`, { headers: { host: 'acme.localhost' } });
    let upgradeStatus = 0;
    socket.on('upgrade', (res) => {
      upgradeStatus = res.statusCode ?? 0;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const echoed = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello odoo');
    expect(await echoed).toBe('echo:hello odoo');
    socket.close();
    expect(upgradeStatus).toBe(101);
    const upgrade = gevent.seen.at(-1);
    expect(upgrade?.url).toBe('/websocket?version=18');
    expect(upgrade?.headers['x-forwarded-host']).toBe('acme.localhost');
    expect(upgrade?.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("caches Odoo's static files at the edge, compresses them and never caches their cookie", async () => {
    const path = `/web/static/src/app-${Date.now()}.js`;
    const first = await get('acme.localhost', path, { headers: { 'accept-encoding': 'gzip' } });
    expect(first.status).toBe(200);
    expect(first.headers['x-cache-status']).toBe('MISS');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.headers['cache-control']).toBe('max-age=604800');
    const second = await get('acme.localhost', path);
    expect(second.headers['x-cache-status']).toBe('HIT');
    expect(second.body).toContain('odoo static');
    // The cache key holds the instance: the same path on another host of the same instance is a hit.
    expect((await get('shop.customer-test.example', path)).headers['x-cache-status']).toBe('HIT');
  });

  it('shows the platform page instead of a bare 502 when an active instance does not answer', async () => {
    const port = await freePort();
    await edge.router.applyRoute({
      instanceId: '33333333-3333-4333-8333-333333333333',
      slug: 'restarting',
      hosts: ['restarting.localhost'],
      upstream: { http: `127.0.0.1:${port}`, websocket: `127.0.0.1:${port}` },
      state: 'active',
    });
    const res = await get('restarting.localhost', '/web');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.body).toContain('This instance is starting');
    // Once the container listens again, the same route works: nothing was marked down.
    const late = await startHttpStandInOn(port);
    try {
      expect((await get('restarting.localhost', '/web')).status).toBe(200);
    } finally {
      await late.close();
    }
    await edge.router.removeRoute('33333333-3333-4333-8333-333333333333');
    expect((await get('restarting.localhost', '/web')).status).toBe(404);
  });
});

describe('config changes that cannot break the edge', () => {
  it('rejects host names that would break out of their directive before writing anything', async () => {
    const before = await readFile(join(edge.router.paths.instances, `${ACTIVE}.conf`), 'utf8');
    for (const host of [
      'evil.localhost; return 200 "owned"',
      'a.localhost\nserver_name x',
      'x.localhost}',
      '$host.localhost',
      '*.localhost',
      'localhost',
    ]) {
      await expect(edge.router.applyRoute({ ...activeRoute(), hosts: [host] }), host).rejects.toBeInstanceOf(EdgeInputError);
    }
    await expect(edge.router.applyRoute({ ...activeRoute(), slug: 'a;b' })).rejects.toBeInstanceOf(EdgeInputError);
    await expect(
      edge.router.applyRoute({ ...activeRoute(), upstream: { http: '127.0.0.1:1; include /etc/passwd', websocket: '127.0.0.1:2' } }),
    ).rejects.toBeInstanceOf(EdgeInputError);
    await expect(edge.router.applyRoute({ ...activeRoute(), instanceId: '../../nginx' })).rejects.toBeInstanceOf(EdgeInputError);
    expect(await readFile(join(edge.router.paths.instances, `${ACTIVE}.conf`), 'utf8')).toBe(before);
    expect((await get('acme.localhost', '/')).status).toBe(200);
  });

  it('refuses a config nginx rejects, with its error, and keeps serving the last good one', async () => {
    const file = join(edge.router.paths.instances, `${ACTIVE}.conf`);
    const before = await readFile(file, 'utf8');
    // Passes our checks, fails nginx's: the classic "host not found in upstream".
    const error = await edge.router
      .applyRoute({ ...activeRoute(), upstream: { http: 'no-such-host.invalid:8069', websocket: '127.0.0.1:2' } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(EdgeConfigError);
    expect(error.output).toContain('host not found in upstream "no-such-host.invalid:8069"');
    expect(error.instanceId).toBe(ACTIVE);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(JSON.parse((await get('acme.localhost', '/')).body).upstream).toBe('odoo');

    // A broken template: nginx's complaint is kept whole, nothing goes live.
    const broken = new NginxEdgeRouter({
      settings: edge.settings,
      baseDomain: 'localhost',
      renderInstance: () => 'server {\n    listen 1;\n    bogus_directive on;\n}\n',
    });
    const refused = await broken.applyRoute({ ...activeRoute(), instanceId: '44444444-4444-4444-8444-444444444444' }).catch((e) => e);
    expect(refused).toBeInstanceOf(EdgeConfigError);
    expect(refused.output).toMatch(
      /unknown directive "bogus_directive" in \(candidate\) instances\/44444444-4444-4444-8444-444444444444\.conf:3/,
    );
    const replaced = await broken.applyRoute(activeRoute()).catch((e) => e);
    expect(replaced).toBeInstanceOf(EdgeConfigError);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(JSON.parse((await get('shop.customer-test.example', '/')).body).upstream).toBe('odoo');
  });

  it('puts the last good config back when nginx refuses it on reload (a port it cannot bind)', async () => {
    const file = join(edge.router.paths.instances, `${ACTIVE}.conf`);
    const before = await readFile(file, 'utf8');
    // nginx -t does not bind listen sockets: this passes validation and fails only in the reload.
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
    );
    const binding = new NginxEdgeRouter({
      settings: edge.settings,
      baseDomain: 'localhost',
      reloadTimeoutMs: 4_000,
      renderInstance: () => `server {\n    listen 127.0.0.1:${port};\n    server_name busy.localhost;\n    return 204;\n}\n`,
    });
    const error = await binding
      .applyRoute(activeRoute())
      .catch((e) => e)
      .finally(() => new Promise((resolve) => busy.close(resolve)));
    expect(error).toBeInstanceOf(EdgeConfigError);
    expect(error.message).toContain('nginx did not take the new config on reload');
    expect(error.output).toContain('Address already in use');
    // The files on disk are again the config nginx kept, with nothing left beside them.
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await readdir(edge.router.paths.instances)).filter((f) => !f.endsWith('.conf'))).toEqual([]);
    expect(JSON.parse((await get('acme.localhost', '/')).body).upstream).toBe('odoo');
    // The next change starts from them and goes live.
    const next = await edge.router.apply({ ...activeRoute(), hosts: [...activeRoute().hosts, 'again.localhost'] });
    expect(next.reloaded).toBe(true);
    expect(JSON.parse((await get('again.localhost', '/')).body).upstream).toBe('odoo');
    await edge.router.applyRoute(activeRoute());
  });

  it('syncAll rewrites everything, leaves out what nginx refuses (keeping its last good file) and removes stale routes', async () => {
    const unchanged = await readFile(join(edge.router.paths.instances, `${ACTIVE}.conf`), 'utf8');
    const error = await edge.router
      .syncAll([
        { ...activeRoute(), upstream: { http: 'no-such-host.invalid:8069', websocket: '127.0.0.1:2' } },
        {
          instanceId: '55555555-5555-4555-8555-555555555555',
          slug: 'fresh',
          hosts: ['fresh.localhost'],
          upstream: { http: '127.0.0.1:1', websocket: '127.0.0.1:2' },
          state: 'provisioning',
        },
        { ...activeRoute(), instanceId: '66666666-6666-4666-8666-666666666666', slug: 'bad', hosts: ['bad;host'] },
      ])
      .catch((e) => e);
    expect(error).toBeInstanceOf(EdgeSyncError);
    expect(error.failed.map((f: { instanceId: string }) => f.instanceId).sort()).toEqual([ACTIVE, '66666666-6666-4666-8666-666666666666']);
    expect(await readFile(join(edge.router.paths.instances, `${ACTIVE}.conf`), 'utf8')).toBe(unchanged);
    expect((await get('acme.localhost', '/')).status).toBe(200);
    const fresh = await get('fresh.localhost', '/');
    expect(fresh.status).toBe(503);
    expect(fresh.body).toContain('being prepared');
    // The stopped instance was not listed: gone.
    expect((await get('paused.localhost', '/')).status).toBe(404);
    await edge.router.syncAll([activeRoute()]);
    expect((await get('fresh.localhost', '/')).status).toBe(404);
    // Removed routes leave no file behind.
    expect(await readdir(edge.router.paths.instances)).toEqual([`${ACTIVE}.conf`]);
  });

  it('writes and validates without nginx running, and says so', async () => {
    const idle = await createTestEdge({ apiPort: api.port });
    try {
      const result = await idle.router.apply(activeRoute());
      expect(result.reloaded).toBe(false);
      expect(result.note).toContain('nginx is not running');
      expect(await readFile(join(idle.router.paths.instances, `${ACTIVE}.conf`), 'utf8')).toContain(
        'server_name acme.localhost shop.customer-test.example;',
      );
    } finally {
      await idle.stop();
    }
  });
});

async function startHttpStandInOn(port: number) {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('{"upstream":"late"}'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
