import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { DEFAULT_LIMITS, type EdgeLimits, type EdgeSettings } from '../../src/edge/edge-settings.js';
import { NginxEdgeRouter, type NginxEdgeRouterOptions } from '../../src/edge/nginx-edge-router.js';
import { nginxMasterPid } from '../../src/edge/nginx-process.js';

const exec = promisify(execFile);

/** A free TCP port on loopback (bound, then released). */
/** Starts a private nginx on the config rendered in `dir` and waits for its master process. */
async function startNginx(dir: string, errorLog: () => Promise<string>) {
  await exec('nginx', ['-p', `${dir}/`, '-e', join(dir, 'logs', 'error.log'), '-c', join(dir, 'nginx.conf')]);
  const deadline = Date.now() + 5_000;
  while (!(await nginxMasterPid(dir))) {
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${await errorLog()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops that nginx (fast shutdown, as `systemctl stop nginx`), leaving its directory. */
async function stopNginxMaster(dir: string) {
  const pid = await nginxMasterPid(dir);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while ((await nginxMasterPid(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops that nginx and removes its directory. */
async function stopNginx(dir: string) {
  await stopNginxMaster(dir);
  await rm(dir, { recursive: true, force: true });
}

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
  /** A loopback stub_status server on this port (monitoring). */
  statusPort?: number;
}

/** A private nginx per test file: its own prefix under a temp dir, loopback ports, never the platform's 8080. */
export async function createTestEdge(options: TestEdgeOptions): Promise<TestEdge> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-test-'));
  // mkdtemp makes it 0700: nginx's workers (www-data under root) must reach the files they serve.
  await chmod(dir, 0o755);
  const httpPort = await freePort();
  const httpsPort = options.tls ? await freePort() : null;
  const settings: EdgeSettings = {
    dir,
    // As in production: a root master, unprivileged workers.
    user: process.getuid?.() === 0 ? 'www-data' : null,
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
    backupUploadMaxMb: 64,
    mimeTypesFile: '/etc/nginx/mime.types',
    ...(options.statusPort === undefined ? {} : { statusPort: options.statusPort }),
  };
  const router = new NginxEdgeRouter({
    settings,
    baseDomain: options.baseDomain ?? 'localhost',
    reloadTimeoutMs: 5_000,
    ...options.router,
  });
  const errorLog = () => readFile(join(dir, 'logs', 'error.log'), 'utf8').catch(() => '');
  return {
    dir,
    router,
    settings,
    httpPort,
    httpsPort,
    async start() {
      await router.applyPlatform();
      await startNginx(dir, errorLog);
    },
    stop: () => stopNginx(dir),
    errorLog,
  };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request to 127.0.0.1:port with the given Host header (a new connection each time).
 * `from`: the client's source address, another loopback address (127.0.0.2...) to act as a second client.
 */
export function request(
  port: number,
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; from?: string } = {},
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
        ...(options.from ? { localAddress: options.from } : {}),
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

export interface PlatformEdge {
  dir: string;
  httpPort: number;
  httpsPort: number | null;
  /** Environment for a harness whose platform uses this edge (EDGE_ROUTER=nginx and its directory, ports, URLs). */
  env: Record<string, string>;
  /** Renders the platform files with the platform's own router, then starts nginx on them. */
  start(router: NginxEdgeRouter): Promise<void>;
  /** Stops nginx, waits `downMs`, and starts it again on the files as the platform left them (a service restart). */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
  errorLog(): Promise<string>;
}

/**
 * A private nginx for a whole test platform (harness): the platform's EdgeRouter is the real one
 * (EDGE_ROUTER=nginx), configured from the environment like in production, on a temp directory and
 * loopback ports. `tls`: PUBLIC_URL is https:// on the edge's own HTTPS port (TLS mode).
 */
export async function createPlatformEdge(options: { tls?: boolean } = {}): Promise<PlatformEdge> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-platform-'));
  await chmod(dir, 0o755);
  const httpPort = await freePort();
  const httpsPort = options.tls ? await freePort() : null;
  for (const [name, title] of [
    ['web', 'Web app'],
    ['admin', 'Admin dashboard'],
  ] as const) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'index.html'), `<!doctype html><title>${title}</title>`);
  }
  const scheme = options.tls ? 'https' : 'http';
  const port = httpsPort ?? httpPort;
  const env: Record<string, string> = {
    EDGE_ROUTER: 'nginx',
    EDGE_DIR: dir,
    EDGE_PORT: String(httpPort),
    // The stub_status listener for the nginx exporter: a port of each edge's own, as its HTTP port.
    EDGE_STATUS_PORT: String(await freePort()),
    EDGE_LISTEN_ADDRESS: '127.0.0.1',
    EDGE_WEB_ROOT: join(dir, 'web'),
    EDGE_ADMIN_ROOT: join(dir, 'admin'),
    PUBLIC_URL: `${scheme}://localhost:${port}`,
    ADMIN_URL: `${scheme}://admin.localhost:${port}`,
    ...(httpsPort ? { EDGE_HTTPS_PORT: String(httpsPort) } : {}),
  };
  const errorLog = () => readFile(join(dir, 'logs', 'error.log'), 'utf8').catch(() => '');
  return {
    dir,
    httpPort,
    httpsPort,
    env,
    errorLog,
    async start(router) {
      await router.applyPlatform();
      await startNginx(dir, errorLog);
    },
    async restart(downMs) {
      await stopNginxMaster(dir);
      await new Promise((r) => setTimeout(r, downMs));
      await startNginx(dir, errorLog);
    },
    stop: () => stopNginx(dir),
  };
}

/** GET over TLS to 127.0.0.1:port with SNI and Host `host`, trusting `ca`; with the serial of the certificate served. */
export function requestTls(port: number, host: string, path: string, ca: string): Promise<SimpleResponse & { serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, servername: host, headers: { host }, ca, agent: false, timeout: 10_000 },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), serial }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
