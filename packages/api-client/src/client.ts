import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { ApiPaths } from './schema';

export interface ApiClientOptions {
  /** Absolute URL ending with the API prefix, e.g. `${location.origin}/api/v1`. */
  baseUrl: string;
  /** The in-memory access token, or null when there is none. */
  getAccessToken: () => string | null;
  /** Receives every new token: from a refresh in this tab or another, or null when the session ended. */
  setAccessToken: (token: string | null) => void;
  /** Called when a request got 401 and the refresh failed too, or another tab logged out: the session is over. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  /**
   * Name shared by the tabs of one app for the refresh lock and the token channel; null turns cross-tab
   * coordination off. Defaults to "saas-refresh".
   */
  crossTabName?: string | null;
}

export type ApiClient = Client<ApiPaths> & {
  /**
   * Single-flight `POST /auth/refresh` (cookie-based), serialized across tabs; resolves to the new access
   * token or null. `staleToken` is the token the caller found wanting (defaults to the current one): if
   * another tab has meanwhile produced a different token, that one is used instead of refreshing again.
   */
  refresh: (staleToken?: string | null) => Promise<string | null>;
  /** Takes a token obtained outside `refresh` (login) and schedules its proactive renewal. */
  adoptToken: (token: string, expiresInSeconds: number) => void;
  /** Ends the session here and tells the other tabs (after logout). */
  forgetSession: () => void;
  /** Stops the renewal timer (when the provider unmounts; the next token schedules it again). */
  dispose: () => void;
};

type TabMessage = { type: 'token'; token: string; expiresAt: number } | { type: 'logout' };

// The auth routes answer 401 as part of their contract (bad password, TOTP needed,
// dead refresh token), so they must never trigger a refresh-and-retry.
function isAuthRoute(schemaPath: string): boolean {
  return schemaPath.startsWith('/auth/') || schemaPath.startsWith('/api/v1/auth/');
}

/** Renew this long before the token expires: a fifth of its lifetime, between 10 s and 60 s. */
function renewalLead(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(10_000, lifetimeMs / 5));
}

type RefreshOutcome = { token: string; expiresIn: number } | 'rejected' | 'network';

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const client = createClient<ApiPaths>({ baseUrl: options.baseUrl.replace(/\/$/, ''), fetch: fetchImpl });
  const crossTabName = options.crossTabName === undefined ? 'saas-refresh' : options.crossTabName;

  // Two tabs presenting the same refresh cookie at once would look like token theft to the server
  // (it revokes the session), so refreshes run under a Web Lock shared by all tabs, and the tab that
  // refreshed broadcasts the new access token so the others adopt it instead of refreshing again.
  // A tab that refreshes after another simply sends the newer cookie (the jar is shared), so a late
  // broadcast costs one extra refresh, never the session.
  const locks = crossTabName && typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const channel = crossTabName && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(crossTabName) : null;

  let renewTimer: ReturnType<typeof setTimeout> | undefined;

  function schedule(expiresAt: number) {
    clearTimeout(renewTimer);
    const lifetime = expiresAt - Date.now();
    // A little jitter so tabs that adopted the same token don't all wake at once (the lock would cope anyway).
    const delay = Math.max(1_000, lifetime - renewalLead(lifetime) - Math.random() * 5_000);
    renewTimer = setTimeout(() => void proactiveRenew(), delay);
  }

  function adopt(token: string, expiresAt: number) {
    options.setAccessToken(token);
    schedule(expiresAt);
  }

  async function proactiveRenew() {
    const token = options.getAccessToken();
    if (!token) return;
    const outcome = await refreshOutcome(token);
    if (outcome === 'network') renewTimer = setTimeout(() => void proactiveRenew(), 30_000);
    else if (outcome === 'rejected') options.onUnauthorized?.();
  }

  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    if (message?.type === 'token') {
      // Only tabs already in this session follow along; a logged-out tab stays logged out.
      if (options.getAccessToken()) adopt(message.token, message.expiresAt);
    } else if (message?.type === 'logout') {
      clearTimeout(renewTimer);
      if (options.getAccessToken()) {
        options.setAccessToken(null);
        options.onUnauthorized?.();
      }
    }
  });

  async function postRefresh(): Promise<RefreshOutcome> {
    try {
      const { data, response } = await client.POST('/auth/refresh', { credentials: 'include' });
      if (response.ok && data) return { token: data.accessToken, expiresIn: data.expiresIn };
      return response.status === 401 || response.status === 403 ? 'rejected' : 'network';
    } catch {
      return 'network';
    }
  }

  async function refreshUnderLock(staleToken: string | null): Promise<RefreshOutcome> {
    const run = async (): Promise<RefreshOutcome> => {
      // While we waited for the lock another tab may have refreshed and broadcast its token.
      const current = options.getAccessToken();
      if (current && current !== staleToken) return { token: current, expiresIn: -1 };
      const outcome = await postRefresh();
      if (typeof outcome === 'object') {
        const expiresAt = Date.now() + outcome.expiresIn * 1000;
        adopt(outcome.token, expiresAt);
        channel?.postMessage({ type: 'token', token: outcome.token, expiresAt } satisfies TabMessage);
      } else if (outcome === 'rejected') {
        clearTimeout(renewTimer);
        options.setAccessToken(null);
      }
      return outcome;
    };
    return locks && crossTabName ? locks.request(crossTabName, run) : run();
  }

  // Within a tab, concurrent callers share one refresh.
  let inflightOutcome: Promise<RefreshOutcome> | null = null;
  function refreshOutcome(staleToken: string | null): Promise<RefreshOutcome> {
    inflightOutcome ??= refreshUnderLock(staleToken).finally(() => {
      inflightOutcome = null;
    });
    return inflightOutcome;
  }

  function refresh(staleToken: string | null = options.getAccessToken()): Promise<string | null> {
    return refreshOutcome(staleToken).then((outcome) => (typeof outcome === 'object' ? outcome.token : null));
  }

  // A replayable copy of each outgoing request (the original body is consumed by fetch),
  // keyed by openapi-fetch's per-request id, together with the token it was sent with.
  const replays = new Map<string, { request: Request; token: string | null }>();

  const auth: Middleware = {
    onRequest({ request, schemaPath, id }) {
      const token = options.getAccessToken();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      if (!isAuthRoute(schemaPath)) replays.set(id, { request: request.clone(), token });
      return request;
    },
    async onResponse({ response, id }) {
      const replay = replays.get(id);
      replays.delete(id);
      if (response.status !== 401 || !replay) return undefined;
      // Another request (or tab) may already have refreshed while this one was in flight.
      const current = options.getAccessToken();
      let token = current && current !== replay.token ? current : null;
      if (!token) {
        const outcome = await refreshOutcome(replay.token);
        // A network failure leaves the session alone (the 401 stands); a refused refresh ends it.
        if (outcome === 'rejected') options.onUnauthorized?.();
        if (typeof outcome !== 'object') return undefined;
        token = outcome.token;
      }
      replay.request.headers.set('Authorization', `Bearer ${token}`);
      const retried = await fetchImpl(replay.request);
      if (retried.status === 401) options.onUnauthorized?.();
      return retried;
    },
    onError({ id }) {
      replays.delete(id);
    },
  };
  client.use(auth);

  return Object.assign(client, {
    refresh,
    adoptToken: (token: string, expiresInSeconds: number) => adopt(token, Date.now() + expiresInSeconds * 1000),
    forgetSession: () => {
      clearTimeout(renewTimer);
      options.setAccessToken(null);
      channel?.postMessage({ type: 'logout' } satisfies TabMessage);
    },
    dispose: () => clearTimeout(renewTimer),
  });
}
