import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestEdge, freePort, request, type TestEdge } from '../support/nginx.js';
import { type StandIn, startHttpStandIn } from '../support/upstream.js';

/**
 * Per-instance request counts from a real nginx's access log, read by the mtail program `npm run up`
 * runs (deploy/monitoring/edge.mtail), and the loopback stub_status for prometheus-nginx-exporter.
 */

const exec = promisify(execFile);
const PROGRAMS = fileURLToPath(new URL('../../../../deploy/monitoring', import.meta.url));
const INSTANCE = '33333333-3333-4333-8333-333333333333';
let edge: TestEdge;
let api: StandIn;
let odoo: StandIn;
let statusPort: number;

beforeAll(async () => {
  [api, odoo] = await Promise.all([startHttpStandIn('api'), startHttpStandIn('odoo')]);
  statusPort = await freePort();
  edge = await createTestEdge({ apiPort: api.port, statusPort });
  for (const root of [edge.settings.webRoot, edge.settings.adminRoot]) {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title>');
  }
  await edge.start();
  await edge.router.applyRoute({
    instanceId: INSTANCE,
    slug: 'counted',
    hosts: ['counted.localhost'],
    upstream: { http: `127.0.0.1:${odoo.port}`, websocket: `127.0.0.1:${odoo.port}` },
    state: 'active',
  });
});

afterAll(async () => {
  await edge?.stop();
  await Promise.all([api?.close(), odoo?.close()]);
});

/** mtail's counters after reading the whole log once, as Prometheus would scrape them. */
async function mtailCounts(log: string): Promise<Map<string, number>> {
  const port = String(await freePort());
  const args = ['-progs', PROGRAMS, '-logs', log, '-one_shot', '-one_shot_format=prometheus', '-address', '127.0.0.1', '-port', port];
  const { stdout } = await exec('mtail', args, {
    timeout: 20_000,
  });
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const match = /^edge_http_requests_total\{code="(\dxx)",instance_id="([^"]+)",prog="edge.mtail"\} (\d+)$/.exec(line);
    if (match) counts.set(`${match[2]} ${match[1]}`, Number(match[3]));
  }
  return counts;
}

it('counts requests per instance and status class; other hosts count as "-", whatever their Host header', async () => {
  for (let i = 0; i < 3; i++) expect((await request(edge.httpPort, 'counted.localhost', '/web/login')).status).toBe(200);
  expect((await request(edge.httpPort, 'counted.localhost', '/web/database/manager')).status).toBe(404);
  // Made-up hosts land in the default server: no label value of their own.
  expect((await request(edge.httpPort, 'made-up-1.example', '/')).status).toBe(404);
  expect((await request(edge.httpPort, 'inst=evil', '/')).status).toBe(404);
  expect((await request(edge.httpPort, 'localhost', '/')).status).toBe(200);

  const log = join(edge.dir, 'logs', 'access.log');
  // nginx writes its log line after the response; give it a moment.
  await new Promise((r) => setTimeout(r, 200));
  expect(await readFile(log, 'utf8')).toContain(`inst=${INSTANCE}`);
  const counts = await mtailCounts(log);
  expect(counts.get(`${INSTANCE} 2xx`)).toBe(3);
  expect(counts.get(`${INSTANCE} 4xx`)).toBe(1);
  expect(counts.get('- 4xx')).toBe(2);
  expect(counts.get('- 2xx')).toBe(1);
  expect([...counts.keys()].every((key) => key.startsWith(`${INSTANCE} `) || key.startsWith('- '))).toBe(true);
});

it('serves stub_status on loopback, not on the public port', async () => {
  const status = await request(statusPort, 'localhost', '/stub_status');
  expect(status.status).toBe(200);
  expect(status.body).toMatch(/^Active connections: \d+/);
  expect((await request(edge.httpPort, 'localhost', '/stub_status')).body).not.toContain('Active connections');
  expect((await request(statusPort, 'localhost', '/')).status).toBe(404);
});
