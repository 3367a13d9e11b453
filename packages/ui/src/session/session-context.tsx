import { API_PREFIX, type ApiBody, type ApiClient, type ApiData, createApiClient, unwrap } from '@saas/api-client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';

export type Me = ApiData<'get', '/me'>;
export type LoginInput = ApiBody<'post', '/auth/login'>;
export type SessionStatus = 'restoring' | 'anonymous' | 'authenticated';

export const meQueryKey = ['me'] as const;

/** The app's tabs tell each other on this channel that the account changed (e.g. the email was confirmed). */
const ACCOUNT_CHANNEL = 'saas-account';
type AccountMessage = { type: 'me-changed' };

/** How often `/me` is read again while the email address waits for confirmation (only while the tab is visible). */
const UNVERIFIED_POLL_MS = 30_000;

const isUnverified = (query: { state: { data?: Me } }) => query.state.data?.user.emailVerified === false;

interface SessionContextValue {
  api: ApiClient;
  status: SessionStatus;
  login: (input: LoginInput) => Promise<void>;
  /** Takes over a session obtained another way (the support impersonation handoff); its refresh cookie is already set. */
  adoptSession: (session: { accessToken: string; expiresIn: number }) => void;
  logout: () => Promise<void>;
  refreshMe: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export interface SessionProviderProps {
  children: ReactNode;
  /** Defaults to `${location.origin}/api/v1` (nginx serves the API on the same origin). */
  baseUrl?: string;
}

/**
 * Holds the access token in memory only (never in storage). On mount it asks
 * `/auth/refresh` (httpOnly cookie) for a token to restore an existing session; the client
 * renews it shortly before it expires and shares renewals with the app's other tabs.
 */
export function SessionProvider({ children, baseUrl }: SessionProviderProps) {
  const queryClient = useQueryClient();
  const tokenRef = useRef<string | null>(null);
  const [status, setStatus] = useState<SessionStatus>('restoring');

  const endSession = useCallback(() => {
    tokenRef.current = null;
    setStatus('anonymous');
    queryClient.clear();
  }, [queryClient]);

  const api = useMemo(
    () =>
      createApiClient({
        baseUrl: baseUrl ?? `${window.location.origin}${API_PREFIX}`,
        getAccessToken: () => tokenRef.current,
        setAccessToken: (token) => {
          tokenRef.current = token;
        },
        onUnauthorized: endSession,
      }),
    [baseUrl, endSession],
  );

  useEffect(() => {
    let cancelled = false;
    api.refresh().then((token) => {
      if (!cancelled) setStatus(token ? 'authenticated' : 'anonymous');
    });
    return () => {
      cancelled = true;
      api.dispose();
    };
  }, [api]);

  // Another tab changed the account (confirmed the email from the mail's link, say): read `/me` again.
  const accountChannel = useRef<BroadcastChannel | null>(null);
  // A `/me` read still in flight may have started before the change (the page load racing the confirmation):
  // cancel it, or the refetch would join it and keep its stale answer (TanStack only restarts queries with data).
  const rereadMe = useCallback(async () => {
    await queryClient.cancelQueries({ queryKey: meQueryKey });
    await queryClient.invalidateQueries({ queryKey: meQueryKey });
  }, [queryClient]);
  useEffect(() => {
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(ACCOUNT_CHANNEL);
    channel.addEventListener('message', (event: MessageEvent<AccountMessage>) => {
      if (event.data?.type === 'me-changed') void rereadMe();
    });
    accountChannel.current = channel;
    return () => {
      channel.close();
      accountChannel.current = null;
    };
  }, [rereadMe]);

  const refreshMe = useCallback(async () => {
    accountChannel.current?.postMessage({ type: 'me-changed' } satisfies AccountMessage);
    await rereadMe();
  }, [rereadMe]);

  // The one observer that keeps an unconfirmed address under watch (each observer would poll on its own):
  // the link is often opened in another browser or on the phone, where no tab can tell this one.
  useQuery({
    ...meQueryOptions(api, status),
    refetchOnWindowFocus: (query) => (isUnverified(query) ? 'always' : false),
    refetchInterval: (query) => (isUnverified(query) ? UNVERIFIED_POLL_MS : false),
  });

  const login = useCallback(
    async (input: LoginInput) => {
      const data = await unwrap(api.POST('/auth/login', { body: input, credentials: 'include' }));
      api.adoptToken(data.accessToken, data.expiresIn);
      queryClient.clear();
      setStatus('authenticated');
    },
    [api, queryClient],
  );

  const adoptSession = useCallback(
    (session: { accessToken: string; expiresIn: number }) => {
      api.adoptToken(session.accessToken, session.expiresIn);
      queryClient.clear();
      setStatus('authenticated');
    },
    [api, queryClient],
  );

  const logout = useCallback(async () => {
    try {
      await api.POST('/auth/logout', { credentials: 'include' });
    } catch {
      // Even if the server is unreachable, forget the session locally.
    }
    // Tells the other tabs too: their refresh cookie is gone with this one.
    api.forgetSession();
    endSession();
  }, [api, endSession]);

  const value = useMemo(
    () => ({ api, status, login, adoptSession, logout, refreshMe }),
    [api, status, login, adoptSession, logout, refreshMe],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

function useSessionContext(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('SessionProvider is missing');
  return ctx;
}

/** The typed API client (adds the bearer token, refreshes on 401). */
export function useApi(): ApiClient {
  return useSessionContext().api;
}

function meQueryOptions(api: ApiClient, status: SessionStatus) {
  return {
    queryKey: meQueryKey,
    queryFn: () => unwrap(api.GET('/me')),
    enabled: status === 'authenticated',
    staleTime: 60_000,
  };
}

/** Session state plus the signed-in user's `/me` (loaded once authenticated). */
export function useSession() {
  const { api, status, login, adoptSession, logout, refreshMe } = useSessionContext();
  const meQuery = useQuery(meQueryOptions(api, status));
  return {
    status,
    me: status === 'authenticated' ? meQuery.data : undefined,
    meQuery,
    login,
    adoptSession,
    logout,
    /** Reads `/me` again here and in the app's other tabs: call it after changing the account. */
    refreshMe,
  };
}
