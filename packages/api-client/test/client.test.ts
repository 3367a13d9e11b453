import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../src/client';

/**
 * A fake API with the server's refresh rules: each refresh rotates the cookie, and presenting an
 * already-rotated cookie revokes the whole session (reuse detection). The cookie jar is shared,
 * like a browser's between its tabs.
 */
function fakeServer({ delayMs = 20 } = {}) {
  const state = { cookie: 'c0', live: new Set(['c0']), revoked: false, refreshes: 0, tokens: new Set<string>(['t0']), seq: 0 };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    // The browser attaches the cookie when it sends the request; the answer comes later.
    const presented = state.cookie;
    await new Promise((r) => setTimeout(r, delayMs));
    if (path.endsWith('/auth/refresh')) {
      state.refreshes++;
      if (state.revoked || !state.live.has(presented)) {
        state.revoked = true;
        return Response.json({ code: 'refresh_token_reused', status: 401, title: 'Unauthorized' }, { status: 401 });
      }
      state.live.delete(presented);
      const next = `c${++state.seq}`;
      state.live.add(next);
      state.cookie = next;
      const token = `t${state.seq}`;
      state.tokens.add(token);
      return Response.json({ accessToken: token, expiresIn: 900 });
    }
    const auth = request.headers.get('authorization')?.replace('Bearer ', '');
    if (!auth || !state.tokens.has(auth) || state.revoked) return Response.json({ code: 'unauthorized' }, { status: 401 });
    return Response.json({ ok: true, token: auth });
  };
  return { state, fetch: fetch as typeof globalThis.fetch };
}

function tab(server: ReturnType<typeof fakeServer>, name: string | null, initialToken: string | null) {
  let token = initialToken;
  let loggedOut = false;
  const api = createApiClient({
    baseUrl: 'http://app.test/api/v1',
    getAccessToken: () => token,
    setAccessToken: (t) => {
      token = t;
    },
    onUnauthorized: () => {
      loggedOut = true;
    },
    fetch: server.fetch,
    crossTabName: name,
  });
  return {
    api,
    get token() {
      return token;
    },
    expire() {
      // The token the tab holds is no longer accepted (expired).
      server.state.tokens.delete(token ?? '');
    },
    get loggedOut() {
      return loggedOut;
    },
  };
}

const clients: { api: { dispose: () => void } }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.api.dispose();
});

describe('refresh across tabs', () => {
  it('serializes concurrent refreshes of two tabs so the session survives', async () => {
    const server = fakeServer();
    const name = `lock-${Math.random()}`;
    const a = tab(server, name, 't0');
    const b = tab(server, name, 't0');
    clients.push(a, b);
    a.expire();

    // Both tabs hit a 401 at the same moment and both want to refresh.
    const [ra, rb] = await Promise.all([a.api.GET('/me' as never), b.api.GET('/me' as never)]);

    expect(server.state.revoked).toBe(false);
    expect(ra.response.status).toBe(200);
    expect(rb.response.status).toBe(200);
    expect(a.loggedOut || b.loggedOut).toBe(false);
    // Either the second tab adopted the broadcast token, or refreshed after the first with the new cookie.
    expect(server.state.refreshes).toBeLessThanOrEqual(2);
  });

  it('(control) without coordination the same race revokes the session', async () => {
    const server = fakeServer();
    const a = tab(server, null, 't0');
    const b = tab(server, null, 't0');
    clients.push(a, b);
    a.expire();
    await Promise.all([a.api.GET('/me' as never), b.api.GET('/me' as never)]);
    expect(server.state.revoked).toBe(true);
  });

  it('keeps one refresh in flight per tab (single-flight)', async () => {
    const server = fakeServer();
    const a = tab(server, `lock-${Math.random()}`, 't0');
    clients.push(a);
    a.expire();
    const results = await Promise.all([1, 2, 3, 4].map(() => a.api.GET('/me' as never)));
    expect(results.every((r) => r.response.status === 200)).toBe(true);
    expect(server.state.refreshes).toBe(1);
  });

  it('shares the new token with the other tab through the channel', async () => {
    const server = fakeServer();
    const name = `lock-${Math.random()}`;
    const a = tab(server, name, 't0');
    const b = tab(server, name, 't0');
    clients.push(a, b);
    const token = await a.api.refresh();
    await new Promise((r) => setTimeout(r, 20));
    expect(token).toBe('t1');
    expect(b.token).toBe('t1');
    // b now has a fresh token: asking it to refresh the stale one does not hit the server again.
    expect(await b.api.refresh('t0')).toBe('t1');
    expect(server.state.refreshes).toBe(1);
  });

  it('ends the session in every tab on logout', async () => {
    const server = fakeServer();
    const name = `lock-${Math.random()}`;
    const a = tab(server, name, 't0');
    const b = tab(server, name, 't0');
    clients.push(a, b);
    a.api.forgetSession();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.token).toBeNull();
    expect(b.token).toBeNull();
    expect(b.loggedOut).toBe(true);
  });

  it('renews the token shortly before it expires', async () => {
    const server = fakeServer({ delayMs: 1 });
    const a = tab(server, `lock-${Math.random()}`, null);
    clients.push(a);
    a.api.adoptToken('t0', 12); // renewal lead is at least 10 s, so it is due within ~1-2 s
    await new Promise((r) => setTimeout(r, 2_300));
    expect(server.state.refreshes).toBe(1);
    expect(a.token).toBe('t1');
  });

  it('a network failure during refresh does not end the session', async () => {
    const server = fakeServer();
    let down = false;
    const flaky = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (down) throw new TypeError('fetch failed');
      return server.fetch(input, init);
    }) as typeof fetch;
    let loggedOut = false;
    let token: string | null = 't0';
    const api = createApiClient({
      baseUrl: 'http://app.test/api/v1',
      getAccessToken: () => token,
      setAccessToken: (t) => {
        token = t;
      },
      onUnauthorized: () => {
        loggedOut = true;
      },
      fetch: flaky,
      crossTabName: null,
    });
    clients.push({ api });
    down = true;
    expect(await api.refresh()).toBeNull();
    expect(loggedOut).toBe(false);
    expect(token).toBe('t0');
  });
});
