/**
 * The public entry point's view of an instance: which host names reach it, where its Odoo listens,
 * and what state it is in (anything but `active` gets the platform's status page, never a bare 502).
 */
export type RouteState = 'active' | 'provisioning' | 'stopped' | 'failed' | 'suspended';

export interface InstanceRoute {
  instanceId: string;
  slug: string;
  /** `<slug>.<base domain>` first, then verified custom domains. */
  hosts: string[];
  /** host:port of Odoo's HTTP port and of the port that serves its websocket (the same one in threaded mode, the gevent port with workers), as reachable from the edge. */
  upstream: { http: string; websocket: string };
  state: RouteState;
}

export interface EdgeApplyResult {
  /** False when the proxy is not running: the config was written and validated, it is used when the proxy starts. */
  reloaded: boolean;
  /** Why it was not reloaded ("no change", "nginx is not running..."). */
  note?: string;
  /** Routes left out by a sync, with the reason; each keeps its last good config. */
  failed: { instanceId: string; error: Error }[];
}

/** syncAll applied every other route, but these could not be: record each error on its instance. */
export class EdgeSyncError extends Error {
  readonly code = 'edge_sync_partial';
  constructor(public readonly failed: { instanceId: string; error: Error }[]) {
    super(`${failed.length} route(s) could not be applied: ${failed.map((f) => `${f.instanceId}: ${f.error.message}`).join('; ')}`);
    this.name = 'EdgeSyncError';
  }
}

/**
 * Errors: invalid input (a host name that is not a DNS name...) throws EdgeInputError before anything
 * is written; a config the proxy refuses throws EdgeConfigError carrying the proxy's own output, and
 * the last good config keeps serving. Each has a stable `code`, to record on the instance.
 */
export interface EdgeRouter {
  /** Writes or replaces the instance's route; resolves once the edge serves it (validated and reloaded). */
  applyRoute(route: InstanceRoute): Promise<void>;
  removeRoute(instanceId: string): Promise<void>;
  /**
   * Rewrites every instance route from the platform's state (start-up, repair). Routes not listed are
   * removed. Routes that cannot be applied are left out (keeping their last good config) and reported
   * by rejecting with EdgeSyncError after all the others are live.
   */
  syncAll(routes: InstanceRoute[]): Promise<void>;
}
