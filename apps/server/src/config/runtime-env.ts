import { z } from 'zod';
import { serverVersion } from '../paths.js';

/**
 * Where instances run (docs/deploy.md#instances-on-a-swarm): `docker`, this machine's engine (DOCKER_SOCKET), or
 * `swarm`, a Docker Swarm driven through a manager's engine with each node's own engine for what is node-local.
 * Engine endpoints are `unix:///path/to/docker.sock` or `tcp://host:port`; TCP is mutual TLS only, with the
 * SWARM_TLS_* PEM contents (or `SWARM_TLS_*_FILE`, e.g. Docker secrets): a node's engine API is root on it.
 */
export const runtimeEnvShape = {
  INSTANCE_RUNTIME: z.enum(['docker', 'swarm']).default('docker'),
  SWARM_MANAGER: z.string().optional(),
  // hostname=endpoint pairs, comma-separated: every node instances may run on, by its hostname in the swarm.
  SWARM_NODE_ENGINES: z.string().optional(),
  SWARM_TLS_CA: z.string().optional(),
  SWARM_TLS_CERT: z.string().optional(),
  SWARM_TLS_KEY: z.string().optional(),
  // An image with nftables' `nft` on every node: the egress policy runs it in each node's network namespace
  // (default: the platform's own, saas-node-firewall:<version>, built by scripts/build-images.sh).
  SWARM_EGRESS_IMAGE: z.string().optional(),
};

const runtimeEnv = z.object(runtimeEnvShape);
type RuntimeEnv = z.infer<typeof runtimeEnv>;

/** One engine's API: a local socket, or a remote engine over mutual TLS. */
export type EngineAddress =
  | { socketPath: string }
  | { host: string; port: number; protocol: 'https'; ca: string; cert: string; key: string };

export type RuntimeConfig =
  | { driver: 'docker' }
  | {
      driver: 'swarm';
      manager: EngineAddress;
      /** By the node's hostname in the swarm. */
      nodeEngines: Record<string, EngineAddress>;
      /** The image whose `nft` applies the egress policy on each node (SWARM_EGRESS_IMAGE). */
      egressImage: string;
    };

const ENDPOINT = /^(?:unix:\/\/(\/\S+)|tcp:\/\/([a-z0-9.-]+|\[[0-9a-f:]+\]):(\d{1,5}))$/i;
const HOSTNAME = /^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$/i;
const IMAGE = /^[a-z0-9][a-z0-9._/:@-]{0,254}$/i;

function endpoint(value: string, env: RuntimeEnv): EngineAddress | string {
  const match = ENDPOINT.exec(value.trim());
  if (!match) return `"${value}" is not unix:///path or tcp://host:port`;
  const [, socketPath, host, port] = match;
  if (socketPath) return { socketPath };
  const { SWARM_TLS_CA: ca, SWARM_TLS_CERT: cert, SWARM_TLS_KEY: key } = env;
  if (!ca || !cert || !key) return `${value}: a TCP endpoint needs SWARM_TLS_CA, SWARM_TLS_CERT and SWARM_TLS_KEY (mutual TLS)`;
  const portNumber = Number(port);
  if (portNumber < 1 || portNumber > 65535) return `${value}: port out of range`;
  return { host: (host ?? '').replace(/^\[|\]$/g, ''), port: portNumber, protocol: 'https', ca, cert, key };
}

/** The runtime settings, or the problems found, each naming its variable. */
function parseRuntime(env: RuntimeEnv): { config: RuntimeConfig; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = [];
  if (env.INSTANCE_RUNTIME === 'docker') return { config: { driver: 'docker' }, problems };
  const manager = env.SWARM_MANAGER ? endpoint(env.SWARM_MANAGER, env) : 'is required with INSTANCE_RUNTIME=swarm';
  if (typeof manager === 'string') problems.push({ path: 'SWARM_MANAGER', message: manager });
  const nodeEngines: Record<string, EngineAddress> = {};
  const pairs = (env.SWARM_NODE_ENGINES ?? '').split(',').filter((p) => p.trim());
  if (pairs.length === 0)
    problems.push({ path: 'SWARM_NODE_ENGINES', message: 'is required with INSTANCE_RUNTIME=swarm (hostname=endpoint,...)' });
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const address = at > 0 ? endpoint(pair.slice(at + 1), env) : 'is not hostname=endpoint';
    if (!HOSTNAME.test(name))
      problems.push({ path: 'SWARM_NODE_ENGINES', message: `"${pair.trim()}": "${name}" is not a node's hostname` });
    else if (typeof address === 'string') problems.push({ path: 'SWARM_NODE_ENGINES', message: `"${pair.trim()}" ${address}` });
    else if (nodeEngines[name]) problems.push({ path: 'SWARM_NODE_ENGINES', message: `${name} is listed twice` });
    else nodeEngines[name] = address;
  }
  if (typeof manager === 'string') return { config: { driver: 'docker' }, problems };
  const egressImage = env.SWARM_EGRESS_IMAGE?.trim() || defaultEgressImage();
  if (!IMAGE.test(egressImage)) problems.push({ path: 'SWARM_EGRESS_IMAGE', message: `"${egressImage}" is not an image reference` });
  return { config: { driver: 'swarm', manager, nodeEngines, egressImage }, problems };
}

export function checkRuntimeEnv(env: RuntimeEnv, ctx: z.RefinementCtx) {
  for (const { path, message } of parseRuntime(env).problems) ctx.addIssue({ code: 'custom', path: [path], message });
}

/** The platform's own nft image, as scripts/build-images.sh tags it for this version (deploy/images/node-firewall). */
export function defaultEgressImage(): string {
  return `saas-node-firewall:${serverVersion()}`;
}

export const runtimeConfig = (env: RuntimeEnv): RuntimeConfig => parseRuntime(env).config;
