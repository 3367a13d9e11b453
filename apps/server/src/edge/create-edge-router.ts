import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { AcmeIssuer } from './acme-issuer.js';
import { assertToken } from './edge-names.js';
import { edgePaths } from './edge-paths.js';
import type { ChallengeKind, EdgeLog, EdgeRouter, InstanceRoute } from './edge-router.js';
import { edgeSettingsFromConfig } from './edge-settings.js';
import { Http01AcmeIssuer } from './http01-acme-issuer.js';
import { NginxEdgeRouter } from './nginx-edge-router.js';
import { RemoteEdgeRouter } from './remote-edge-router.js';

/** Keeps routes in memory and logs them: the edge for tests and machines without nginx. */
export class RecordingEdgeRouter implements EdgeRouter {
  readonly routes = new Map<string, InstanceRoute>();
  /** Published challenges by `<kind>/<token>`. */
  readonly challenges = new Map<string, string>();
  constructor(private readonly log?: EdgeLog) {}

  async applyRoute(route: InstanceRoute): Promise<void> {
    this.routes.set(route.instanceId, structuredClone(route));
    this.log?.info({ route }, 'edge route (not applied: EDGE_ROUTER=log)');
  }

  async removeRoute(instanceId: string): Promise<void> {
    this.routes.delete(instanceId);
    this.log?.info({ instanceId }, 'edge route removed (EDGE_ROUTER=log)');
  }

  async syncAll(routes: InstanceRoute[]): Promise<void> {
    this.routes.clear();
    for (const route of routes) this.routes.set(route.instanceId, structuredClone(route));
    this.log?.info({ count: routes.length }, 'edge routes synced (EDGE_ROUTER=log)');
  }

  async publishChallenge(kind: ChallengeKind, token: string, content: string): Promise<void> {
    this.challenges.set(`${kind}/${assertToken(token)}`, content);
  }

  async withdrawChallenge(kind: ChallengeKind, token: string): Promise<void> {
    this.challenges.delete(`${kind}/${token}`);
  }
}

/**
 * The platform's edge: this machine's nginx, the edge containers (EDGE_MODE=remote, through `redis`),
 * or (EDGE_ROUTER=log, the default under NODE_ENV=test) a recorder.
 */
export function createEdgeRouter(config: Config, log: EdgeLog, redis?: Redis): EdgeRouter {
  if (config.edge.router === 'log') return new RecordingEdgeRouter(log);
  if (config.edge.mode === 'remote') {
    if (!redis) throw new Error('EDGE_MODE=remote needs the Redis connection');
    const settings = edgeSettingsFromConfig(config);
    return new RemoteEdgeRouter({
      redis,
      prefix: config.queuePrefix,
      platformHosts: { publicHost: settings.publicHost, adminHost: settings.adminHost },
      applyTimeoutMs: config.edge.applyTimeoutMs,
      log,
    });
  }
  return new NginxEdgeRouter({ settings: edgeSettingsFromConfig(config), baseDomain: config.instanceDomain, log });
}

/** The ACME issuer of this machine's edge: challenges published by `edge`, certificates in its certs directory. */
export function createAcmeIssuer(config: Config, edge: EdgeRouter, log?: EdgeLog): AcmeIssuer {
  const paths = edgePaths(edgeSettingsFromConfig(config).dir);
  return new Http01AcmeIssuer({
    directoryUrl: config.acme.directoryUrl,
    ...(config.acme.caFile ? { caBundle: readFileSync(config.acme.caFile, 'utf8') } : {}),
    accountKeyFile: join(paths.dir, 'acme', 'account.key'),
    ...(config.acme.email ? { email: config.acme.email } : {}),
    challenges: edge,
    certsDir: paths.certs,
    ...(log ? { log } : {}),
  });
}
