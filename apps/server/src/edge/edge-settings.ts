import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import { DEFAULT_LIMITS, type EdgeSettings } from './nginx-config.js';

/** The repository root: this file is src/edge/edge-settings.ts or dist/edge/edge-settings.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

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
  return {
    dir: fromRoot(config.edge.dir, '.run/nginx'),
    // Local mode as root: workers must read the built SPAs wherever the clone lives (often /root).
    user: process.getuid?.() === 0 ? 'root' : null,
    workerProcesses: 'auto',
    listenAddress: config.edge.listenAddress,
    httpPort: config.edge.httpPort,
    httpsPort: config.edge.tls ? config.edge.httpsPort : null,
    publicHost: new URL(config.publicUrl).hostname,
    adminHost: new URL(config.adminUrl).hostname,
    webRoot: fromRoot(config.edge.webRoot, 'apps/web/dist'),
    adminRoot: fromRoot(config.edge.adminRoot, 'apps/admin/dist'),
    apiUpstream: `${api}:${config.port}`,
    resolvers: config.edge.tls ? systemResolvers() : [],
    limits: DEFAULT_LIMITS,
    mimeTypesFile: '/etc/nginx/mime.types',
  };
}
