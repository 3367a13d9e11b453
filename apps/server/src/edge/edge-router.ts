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

/**
 * Proof of control of a host name, answered by the edge on every host (routed or not):
 * `acme` for ACME HTTP-01, `domain-check` for the platform's own custom domain check.
 */
export type ChallengeKind = 'acme' | 'domain-check';

/** The well-known directory each kind is served from. */
export const CHALLENGE_DIRS: Readonly<Record<ChallengeKind, string>> = { acme: 'acme-challenge', 'domain-check': 'odoo-saas' };

/** Where a challenge is served on every host: `/.well-known/<dir>/<token>`. */
export const challengePath = (kind: ChallengeKind, token: string) => `/.well-known/${CHALLENGE_DIRS[kind]}/${token}`;

/** What the edge's implementations log (a pino logger fits). */
export interface EdgeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** syncAll applied every other route, but these could not be: record each error on its instance. */
export class EdgeSyncError extends Error {
  readonly code = 'edge_sync_partial';
  constructor(public readonly failed: { instanceId: string; error: Error }[]) {
    super(`${failed.length} route(s) could not be applied: ${failed.map((f) => `${f.instanceId}: ${f.error.message}`).join('; ')}`);
    this.name = 'EdgeSyncError';
  }
}

/** What the edge's proxy said when it refused a config, kept whole for diagnosis. */
export class EdgeConfigError extends Error {
  readonly code = 'edge_config_invalid';
  constructor(
    message: string,
    /** The proxy's own output (nginx -t, or the error log after a refused reload). */
    public readonly output: string,
    public readonly instanceId?: string,
  ) {
    super(`${message}: ${output.trim() || '(no output)'}`);
    this.name = 'EdgeConfigError';
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
  /**
   * Serves `content` at challengePath(kind, token) on every host until withdrawn; no reload is
   * needed. The token must be base64url (EdgeInputError otherwise).
   */
  publishChallenge(kind: ChallengeKind, token: string, content: string): Promise<void>;
  /** Stops serving the challenge; nothing happens if it is not published. */
  withdrawChallenge(kind: ChallengeKind, token: string): Promise<void>;
}

/** Remote mode: the edges did not acknowledge a change in time (none answering is not this error: see RemoteEdgeRouter). */
export class EdgeUnavailableError extends Error {
  readonly code = 'edge_unavailable';
  constructor(
    message: string,
    /** What each edge replica that lagged behind last reported (its sync error), by replica id. */
    public readonly replicas: Record<string, string>,
  ) {
    super(message);
    this.name = 'EdgeUnavailableError';
  }
}
