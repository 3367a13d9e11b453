import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { REPO_ROOT } from '../paths.js';
import { assertListenAddress, assertPath, assertPort, assertUpstreamAddress, isIpv4, normalizeHostname } from './edge-names.js';
import { workerCanReach } from './worker-access.js';

/** The settings of the edge's nginx: their shape and checks, and how the configuration maps to them. */

export interface EdgeLimits {
  /** Auth endpoints (/api/v1/auth/): requests per minute per client address, and the burst allowed. */
  authPerMinute: number;
  authBurst: number;
  /** The rest of /api/: requests per second per address, and burst. */
  apiPerSecond: number;
  apiBurst: number;
  /**
   * Odoo's password checks on instance hosts (/web/login, /web/session/authenticate,
   * /xmlrpc[/2]/common, /web/reset_password): per minute per client address and instance, and burst.
   */
  odooLoginPerMinute: number;
  odooLoginBurst: number;
  /**
   * Odoo's external API (/jsonrpc, /xmlrpc[/2]/object, /json/2/), where every call carries a
   * password or API key: per second per client address and instance, and burst.
   */
  odooRpcPerSecond: number;
  odooRpcBurst: number;
  /** Open connections per client address, all hosts together. */
  connectionsPerIp: number;
}

export const DEFAULT_LIMITS: EdgeLimits = {
  authPerMinute: 30,
  authBurst: 20,
  apiPerSecond: 20,
  apiBurst: 60,
  odooLoginPerMinute: 30,
  odooLoginBurst: 20,
  // Integrations make many calls in a row; 5/s sustained still caps guessing at 18,000 an hour.
  odooRpcPerSecond: 5,
  odooRpcBurst: 100,
  connectionsPerIp: 200,
};

export interface EdgeSettings {
  /** Absolute edge directory: nginx prefix, config tree, logs, caches, certificates, ACME webroot. */
  dir: string;
  /**
   * `user` directive: the unprivileged account nginx's workers run as when the master runs as root
   * (`www-data`); null to omit it (a master that is not root cannot switch users).
   */
  user: string | null;
  workerProcesses: number | 'auto';
  /** Empty: all addresses. */
  listenAddress: string;
  httpPort: number;
  /** null: local mode, plain HTTP only. Otherwise hosts that have a certificate are served over TLS. */
  httpsPort: number | null;
  publicHost: string;
  adminHost: string;
  /** The built SPAs. */
  webRoot: string;
  adminRoot: string;
  /** address:port of the API. */
  apiUpstream: string;
  /** Loopback port of nginx's stub_status (for prometheus-nginx-exporter); unset: none. */
  statusPort?: number;
  /** DNS resolvers nginx uses for OCSP stapling (TLS mode). */
  resolvers: string[];
  limits: EdgeLimits;
  /** The largest backup zip a tenant may upload (BACKUP_UPLOAD_MAX_MB): that route alone takes bodies this big. */
  backupUploadMaxMb: number;
  mimeTypesFile: string;
}

/** Checks and normalizes the settings once; the renderers trust the result. */
export function validateSettings(settings: EdgeSettings): EdgeSettings {
  assertPath(settings.dir, 'dir');
  assertPath(settings.webRoot, 'webRoot');
  assertPath(settings.adminRoot, 'adminRoot');
  assertPath(settings.mimeTypesFile, 'mimeTypesFile');
  assertListenAddress(settings.listenAddress);
  assertPort(settings.httpPort, 'httpPort');
  if (settings.httpsPort !== null) assertPort(settings.httpsPort, 'httpsPort');
  assertUpstreamAddress(settings.apiUpstream, 'apiUpstream');
  if (settings.statusPort !== undefined) assertPort(settings.statusPort, 'statusPort');
  if (settings.user !== null && !/^[a-z_][a-z0-9_-]{0,31}$/.test(settings.user)) throw new Error(`invalid nginx user: ${settings.user}`);
  if (settings.workerProcesses !== 'auto' && !(Number.isInteger(settings.workerProcesses) && settings.workerProcesses > 0)) {
    throw new Error('workerProcesses must be "auto" or a positive integer');
  }
  for (const r of settings.resolvers) if (!isIpv4(r) && !/^\[[0-9a-fA-F:]+\]$/.test(r)) throw new Error(`invalid resolver: ${r}`);
  for (const [name, value] of Object.entries(settings.limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`limits.${name} must be a positive integer`);
  }
  if (!Number.isInteger(settings.backupUploadMaxMb) || settings.backupUploadMaxMb < 1)
    throw new Error('backupUploadMaxMb must be a positive integer');
  return {
    ...settings,
    publicHost: normalizeHostname(settings.publicHost, 'publicHost'),
    adminHost: normalizeHostname(settings.adminHost, 'adminHost'),
  };
}

const fromRoot = (path: string | undefined, fallback: string) => {
  const value = path || fallback;
  return isAbsolute(value) ? value : resolve(REPO_ROOT, value);
};

/** IPv4 name servers of this machine, for OCSP stapling. */
export function systemResolvers(file = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line)?.[1])
      .filter((ip): ip is string => Boolean(ip));
  } catch {
    return [];
  }
}

/** The edge as the configuration describes it: the one place that maps env to nginx settings. */
export function edgeSettingsFromConfig(config: Config): EdgeSettings {
  const api = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const dir = fromRoot(config.edge.dir, '.run/nginx');
  const webRoot = fromRoot(config.edge.webRoot, 'apps/web/dist');
  const adminRoot = fromRoot(config.edge.adminRoot, 'apps/admin/dist');
  return {
    dir,
    // The master keeps root (ports 80/443, private keys); workers, which parse requests, drop it. A local
    // checkout the worker user cannot reach (under /root) keeps root workers rather than answering 403:
    // the router says so at every render (see NginxEdgeRouter).
    user:
      process.getuid?.() === 0
        ? workerCanReach(config.edge.workerUser, [dir, webRoot, adminRoot])
          ? config.edge.workerUser
          : 'root'
        : null,
    workerProcesses: 'auto',
    listenAddress: config.edge.listenAddress,
    httpPort: config.edge.httpPort,
    httpsPort: config.edge.tls ? config.edge.httpsPort : null,
    publicHost: new URL(config.publicUrl).hostname,
    adminHost: new URL(config.adminUrl).hostname,
    webRoot,
    adminRoot,
    apiUpstream: config.edge.apiUpstream ?? `${api}:${config.port}`,
    statusPort: config.monitoring.edgeStatusPort,
    resolvers: config.edge.tls ? systemResolvers() : [],
    limits: DEFAULT_LIMITS,
    backupUploadMaxMb: Math.ceil(config.backups.uploadMaxBytes / 2 ** 20),
    mimeTypesFile: '/etc/nginx/mime.types',
  };
}
