import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { ApiPaths } from './schema';

export interface ApiClientOptions {
  /** Absolute URL ending with the API prefix, e.g. `${location.origin}/api/v1`. */
  baseUrl: string;
  /** The in-memory access token, or null when there is none. */
  getAccessToken: () => string | null;
  /** Receives the token a refresh produced (null when refresh failed). */
  setAccessToken: (token: string | null) => void;
  /** Called when a request got 401 and the refresh failed too: the session is over. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export type ApiClient = Client<ApiPaths> & {
  /** Single-flight `POST /auth/refresh` (cookie-based); resolves to the new access token or null. */
  refresh: () => Promise<string | null>;
};

// The auth routes answer 401 as part of their contract (bad password, TOTP needed,
// dead refresh token), so they must never trigger a refresh-and-retry.
function isAuthRoute(schemaPath: string): boolean {
  return schemaPath.startsWith('/auth/') || schemaPath.startsWith('/api/v1/auth/');
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const client = createClient<ApiPaths>({ baseUrl: options.baseUrl.replace(/\/$/, ''), fetch: fetchImpl });

  let inflight: Promise<string | null> | null = null;

  async function refreshOnce(): Promise<string | null> {
    try {
      const { data, response } = await client.POST('/auth/refresh', { credentials: 'include' });
      const token = response.ok && data ? data.accessToken : null;
      options.setAccessToken(token);
      return token;
    } catch {
      // Network failure: keep whatever token we had, report "no new token".
      return null;
    }
  }

  function refresh(): Promise<string | null> {
    inflight ??= refreshOnce().finally(() => {
      inflight = null;
    });
    return inflight;
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
      // Another request may already have refreshed while this one was in flight.
      const current = options.getAccessToken();
      const token = current && current !== replay.token ? current : await refresh();
      if (!token) {
        options.onUnauthorized?.();
        return undefined;
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

  return Object.assign(client, { refresh });
}
