import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { ErrorState, LoadingState } from '../states/states';
import { useSession } from './session-context';

/**
 * Route guard: waits for the session to be restored, sends anonymous users to
 * /login?next=<here>, and renders its children (or <Outlet/>) once `/me` is loaded.
 */
export function RequireAuth({ children, loginPath = '/login' }: { children?: ReactNode; loginPath?: string }) {
  const { status, meQuery } = useSession();
  const location = useLocation();
  if (status === 'restoring') return <LoadingState label="Restoring your session…" />;
  if (status === 'anonymous') {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`${loginPath}?next=${next}`} replace />;
  }
  if (meQuery.isPending) return <LoadingState />;
  if (meQuery.isError) return <ErrorState error={meQuery.error} onRetry={() => meQuery.refetch()} />;
  return children ?? <Outlet />;
}

/** Where to go after login: the `next` query parameter if it is a local path. */
export function safeNext(search: string, fallback = '/'): string {
  const next = new URLSearchParams(search).get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : fallback;
}
