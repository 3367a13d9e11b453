import { join } from 'node:path';

/** The layout of the edge directory (docs/edge.md): nginx's prefix, its config tree and what it serves. */
export interface EdgePaths {
  dir: string;
  mainConf: string;
  instances: string;
  snippets: string;
  staging: string;
  logs: string;
  temp: string;
  cache: string;
  pid: string;
  /** Challenges (`.well-known/...`) served on every host. */
  webroot: string;
  /** `<name>/{fullchain.pem,privkey.pem}` (certificate-store.ts). */
  certs: string;
  lockFile: string;
}

export function edgePaths(dir: string): EdgePaths {
  return {
    dir,
    mainConf: join(dir, 'nginx.conf'),
    instances: join(dir, 'instances'),
    snippets: join(dir, 'snippets'),
    staging: join(dir, 'staging'),
    logs: join(dir, 'logs'),
    temp: join(dir, 'temp'),
    cache: join(dir, 'cache'),
    pid: join(dir, 'nginx.pid'),
    webroot: join(dir, 'acme-webroot'),
    certs: join(dir, 'certs'),
    lockFile: join(dir, 'edge.lock'),
  };
}
