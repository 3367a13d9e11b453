import { AppLayout, LoadingState, RequireAuth, useSession } from '@saas/ui';
import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { PRODUCT_NAME } from './config';

const nav = [
  { label: 'Overview', to: '/', end: true },
  { label: 'Users', to: '/users' },
  { label: 'Tenants', to: '/tenants' },
  { label: 'Audit log', to: '/audit-log' },
];

/** Only platform admins and support staff may use the console; anyone else is logged out. */
function RequirePlatformRole() {
  const { me, logout } = useSession();
  const navigate = useNavigate();
  const allowed = Boolean(me?.user.platformRole);

  useEffect(() => {
    if (me && !allowed) {
      void logout().then(() => navigate('/login?denied=1', { replace: true }));
    }
  }, [me, allowed, logout, navigate]);

  if (!allowed) return <LoadingState label="Checking your permissions…" />;
  return <AppLayout productName={PRODUCT_NAME} nav={nav} />;
}

export function AdminAppLayout() {
  return (
    <RequireAuth>
      <RequirePlatformRole />
    </RequireAuth>
  );
}

/** True when the signed-in operator may change things (support staff is read-only). */
export function useIsPlatformAdmin(): boolean {
  return useSession().me?.user.platformRole === 'admin';
}
