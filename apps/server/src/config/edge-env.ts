import { z } from 'zod';
import { assertUpstreamAddress } from '../edge/edge-names.js';

const isUpstreamAddress = (value: string) => {
  try {
    assertUpstreamAddress(value);
    return true;
  } catch {
    return false;
  }
};

/** The edge's part of the environment (docs/edge.md). */
export const edgeEnvShape = {
  EDGE_ROUTER: z.enum(['nginx', 'log']).optional(),
  // local: the API and worker drive this machine's nginx; remote: edge containers do (docs/edge.md#remote-mode).
  EDGE_MODE: z.enum(['local', 'remote']).default('local'),
  EDGE_DIR: z.string().optional(),
  // EDGE_MODE=remote: how long a route change waits for every edge to acknowledge it; the edge's periodic re-sync.
  EDGE_APPLY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(20),
  EDGE_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  // address:port of the API as the edge reaches it (another container); unset: HOST:PORT.
  EDGE_API_UPSTREAM: z.string().refine(isUpstreamAddress, 'must be address:port, e.g. api:3000').optional(),
  EDGE_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  EDGE_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).default(443),
  EDGE_LISTEN_ADDRESS: z.string().default(''),
  EDGE_WEB_ROOT: z.string().optional(),
  EDGE_ADMIN_ROOT: z.string().optional(),
  EDGE_WORKER_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a system user name')
    .default('www-data'),
};

const edgeEnv = z.object(edgeEnvShape);

/** The public entry point (edge/): `nginx` renders and reloads our nginx; `log` only logs (the default in tests). */
export interface EdgeConfig {
  router: 'nginx' | 'log';
  /**
   * With the nginx router: `local` writes this machine's edge directory and signals its nginx; `remote`
   * publishes changes to the edge containers (`cli.js edge-sync`, docs/edge.md#remote-mode).
   */
  mode: 'local' | 'remote';
  /** Remote mode: the longest wait for the edges' acknowledgement of a change. */
  applyTimeoutMs: number;
  /** edge-sync: re-sync from the database this often, whatever was published. */
  syncIntervalMs: number;
  /** The API as the edge reaches it; unset: HOST:PORT. */
  apiUpstream: string | undefined;
  /** Unset: <repo>/.run/nginx. */
  dir: string | undefined;
  httpPort: number;
  /** Used in TLS mode (PUBLIC_URL is https://). */
  httpsPort: number;
  tls: boolean;
  listenAddress: string;
  webRoot: string | undefined;
  adminRoot: string | undefined;
  /** The account nginx's workers run as when nginx is started as root. */
  workerUser: string;
}

export function edgeConfig(env: z.infer<typeof edgeEnv> & { NODE_ENV: string; PUBLIC_URL: string }): EdgeConfig {
  return {
    router: env.EDGE_ROUTER ?? (env.NODE_ENV === 'test' ? 'log' : 'nginx'),
    mode: env.EDGE_MODE,
    applyTimeoutMs: env.EDGE_APPLY_TIMEOUT_SECONDS * 1000,
    syncIntervalMs: env.EDGE_SYNC_INTERVAL_SECONDS * 1000,
    apiUpstream: env.EDGE_API_UPSTREAM,
    dir: env.EDGE_DIR,
    httpPort: env.EDGE_PORT,
    httpsPort: env.EDGE_HTTPS_PORT,
    tls: env.PUBLIC_URL.startsWith('https://'),
    listenAddress: env.EDGE_LISTEN_ADDRESS,
    webRoot: env.EDGE_WEB_ROOT,
    adminRoot: env.EDGE_ADMIN_ROOT,
    workerUser: env.EDGE_WORKER_USER,
  };
}
