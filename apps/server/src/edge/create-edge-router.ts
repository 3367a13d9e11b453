import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { AcmeIssuer } from './acme.js';
import type { EdgeRouter, InstanceRoute } from './edge-router.js';
import { edgeSettingsFromConfig } from './edge-settings.js';
import { edgePaths } from './nginx-config.js';
import { type EdgeLog, NginxEdgeRouter } from './nginx-edge-router.js';

/** Keeps routes in memory and logs them: the edge for tests and machines without nginx. */
export class RecordingEdgeRouter implements EdgeRouter {
  readonly routes = new Map<string, InstanceRoute>();
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
}

/** The platform's edge: our nginx, or (EDGE_ROUTER=log, the default under NODE_ENV=test) a recorder. */
export function createEdgeRouter(config: Config, log: EdgeLog): EdgeRouter {
  if (config.edge.router === 'log') return new RecordingEdgeRouter(log);
  return new NginxEdgeRouter({ settings: edgeSettingsFromConfig(config), baseDomain: config.baseDomain, log });
}

/** The ACME issuer of this machine's edge: challenges in its webroot, certificates in its certs directory. */
export function createAcmeIssuer(config: Config, log?: EdgeLog): AcmeIssuer {
  const paths = edgePaths(edgeSettingsFromConfig(config).dir);
  return new AcmeIssuer({
    directoryUrl: config.acme.directoryUrl,
    ...(config.acme.caFile ? { caBundle: readFileSync(config.acme.caFile, 'utf8') } : {}),
    accountKeyFile: join(paths.dir, 'acme', 'account.key'),
    ...(config.acme.email ? { email: config.acme.email } : {}),
    webroot: paths.webroot,
    certsDir: paths.certs,
    ...(log ? { log } : {}),
  });
}
