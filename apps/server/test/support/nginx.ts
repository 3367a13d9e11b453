import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_LIMITS, type EdgeLimits, type EdgeSettings } from '../../src/edge/nginx-config.js';
import { NginxEdgeRouter, type NginxEdgeRouterOptions } from '../../src/edge/nginx-edge-router.js';
import { nginxMasterPid } from '../../src/edge/nginx-process.js';

const exec = promisify(execFile);

/** A free TCP port on loopback (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestEdge {
  dir: string;
  router: NginxEdgeRouter;
  settings: EdgeSettings;
  httpPort: number;
  httpsPort: number | null;
  /** Starts nginx on the rendered config (renders the platform files first). */
  start(): Promise<void>;
  stop(): Promise<void>;
  errorLog(): Promise<string>;
}

export interface TestEdgeOptions {
  apiPort: number;
  tls?: boolean;
  limits?: Partial<EdgeLimits>;
  baseDomain?: string;
  router?: Partial<NginxEdgeRouterOptions>;
}

/** A private nginx per test file: its own prefix under a temp dir, loopback ports, never the platform's 8080. */
export async function createTestEdge(options: TestEdgeOptions): Promise<TestEdge> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-test-'));
  const httpPort = await freePort();
  const httpsPort = options.tls ? await freePort() : null;
  const settings: EdgeSettings = {
    dir,
    user: process.getuid?.() === 0 ? 'root' : null,
    workerProcesses: 2,
    listenAddress: '127.0.0.1',
    httpPort,
    httpsPort,
    publicHost: 'localhost',
    adminHost: 'admin.localhost',
    webRoot: join(dir, 'web'),
    adminRoot: join(dir, 'admin'),
    apiUpstream: `127.0.0.1:${options.apiPort}`,
    resolvers: [],
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    mimeTypesFile: '/etc/nginx/mime.types',
  };
  const router = new NginxEdgeRouter({
    settings,
    baseDomain: options.baseDomain ?? 'localhost',
    reloadTimeoutMs: 5_000,
    ...options.router,
  });
  const nginxArgs = ['-p', `${dir}/`, '-e', join(dir, 'logs', 'error.log'), '-c', join(dir, 'nginx.conf')];
  const errorLog = () => readFile(join(dir, 'logs', 'error.log'), 'utf8').catch(() => '');
  return {
    dir,
    router,
    settings,
    httpPort,
    httpsPort,
    async start() {
      await router.applyPlatform();
      await exec('nginx', nginxArgs);
      const deadline = Date.now() + 5_000;
      while (!(await nginxMasterPid(dir))) {
        if (Date.now() > deadline) throw new Error(`nginx did not start: ${await errorLog()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const pid = await nginxMasterPid(dir);
      if (pid) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 5_000;
        while ((await nginxMasterPid(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
      await rm(dir, { recursive: true, force: true });
    },
    errorLog,
  };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1:port with the given Host header (a new connection each time). */
export function request(
  port: number,
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
