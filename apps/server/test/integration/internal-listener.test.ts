import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions, redactUrl } from '../../src/http/logger.js';
import { type Harness, startHarness } from '../harness.js';
import { createTestEdge, request, type TestEdge } from '../support/nginx.js';

/** Metrics live on the API's internal listener only; the public port and the edge never serve them. */

let h: Harness;
let edge: TestEdge;
let apiPort: number;
let internalPort: number;
const lines: string[] = [];

const fetchLocal = (port: number, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });

beforeAll(async () => {
  const options = loggerOptions('info');
  if (typeof options !== 'object') throw new Error('loggerOptions should return options');
  h = await startHarness({ logger: { ...options, stream: { write: (line: string) => void lines.push(line) } } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  apiPort = (h.app.server.address() as AddressInfo).port;
  // As main-api.ts does with METRICS_HOST / METRICS_PORT (0 in tests: any free port).
  await h.app.internal.listen({ host: h.platform.config.metrics.host, port: h.platform.config.metrics.port });
  internalPort = (h.app.internal.server.address() as AddressInfo).port;
  edge = await createTestEdge({ apiPort });
  for (const root of [edge.settings.webRoot, edge.settings.adminRoot]) {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>SPA</title>');
  }
  await edge.start();
});

afterAll(async () => {
  await edge?.stop();
  await h?.close();
});

describe('the internal listener', () => {
  it('binds to loopback by default', () => {
    expect(h.platform.config.metrics.host).toBe('127.0.0.1');
    expect((h.app.internal.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(internalPort).not.toBe(apiPort);
  });

  it('serves Prometheus metrics of the public requests', async () => {
    expect((await fetchLocal(apiPort, '/api/v1/health')).status).toBe(200);
    const res = await fetchLocal(internalPort, '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/health"[^}]*status="200"/);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('is the only place metrics answer: not on the API port, not through the edge', async () => {
    for (const path of ['/api/metrics', '/api/metrics/', '/metrics', '/api/v1/metrics']) {
      expect((await fetchLocal(apiPort, path)).status, path).toBe(404);
    }
    for (const path of ['/api/metrics', '/api/metrics/', '/api/anything-else', '/metrics']) {
      const res = await request(edge.httpPort, 'localhost', path);
      expect(res.body, path).not.toContain('http_request_duration_seconds');
      expect(res.status === 404 || /<title>SPA<\/title>/.test(res.body), `${path}: ${res.status}`).toBe(true);
    }
    const ready = await request(edge.httpPort, 'localhost', '/api/v1/ready');
    expect(ready.status, ready.body).toBe(200);
    // Only the public API answers on the internal listener's port: none of its routes.
    expect((await fetchLocal(internalPort, '/api/v1/health')).status).toBe(404);
  });
});

describe("the API's request log", () => {
  it('redacts secret query parameters, whatever their spelling', async () => {
    expect(redactUrl('/x?token=abc&page=2')).toBe('/x?token=%5Bredacted%5D&page=2');
    expect(redactUrl('/x?tok%65n=abc')).toBe('/x?token=%5Bredacted%5D');
    expect(redactUrl('/x?page=2&q=a+b')).toBe('/x?page=2&q=a+b');
    expect(redactUrl('/x')).toBe('/x');
    const secret = 'Query-Secret-9f8e7d';
    await fetchLocal(apiPort, `/api/v1/health?token=${secret}&access_token=${secret}&code=${secret}`);
    await request(edge.httpPort, 'localhost', `/api/v1/health?Token=${secret}`);
    const text = lines.join('');
    expect(text).toContain('/api/v1/health?token=%5Bredacted%5D');
    expect(text).not.toContain(secret);
  });
});
