import { API_PREFIX, type ApiBody, type ApiClient, type ApiData, createApiClient, unwrap } from '@saas/api-client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';

export type Me = ApiData<'get', '/me'>;
export type LoginInput = ApiBody<'post', '/auth/login'>;
export type SessionStatus = 'restoring' | 'anonymous' | 'authenticated';

export const meQueryKey = ['me'] as const;

interface SessionContextValue {
  api: ApiClient;
  status: SessionStatus;
  login: (input: LoginInput) => Promise<void>;
  logout: () => Promise<void>;
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

  const login = useCallback(
    async (input: LoginInput) => {
      const data = await unwrap(api.POST('/auth/login', { body: input, credentials: 'include' }));
      api.adoptToken(data.accessToken, data.expiresIn);
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

  const value = useMemo(() => ({ api, status, login, logout }), [api, status, login, logout]);
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

/** Session state plus the signed-in user's `/me` (loaded once authenticated). */
export function useSession() {
  const { api, status, login, logout } = useSessionContext();
  const meQuery = useQuery({
    queryKey: meQueryKey,
    queryFn: () => unwrap(api.GET('/me')),
    enabled: status === 'authenticated',
    staleTime: 60_000,
  });
  return {
    status,
    me: status === 'authenticated' ? meQuery.data : undefined,
    meQuery,
    login,
    logout,
  };
}
