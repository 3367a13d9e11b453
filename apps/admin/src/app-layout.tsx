import { AppLayout, LoadingState, RequireAuth, useSession } from '@saas/ui';
import { useEffect } from 'react';
import { markAccessDenied } from './access-denied';
import { PRODUCT_NAME } from './config';

const nav = [
  { label: 'Overview', to: '/', end: true },
  { label: 'Users', to: '/users' },
  { label: 'Tenants', to: '/tenants' },
  { label: 'Instances', to: '/instances' },
  { label: 'Backups', to: '/backups' },
  { label: 'Odoo versions', to: '/odoo-versions' },
  { label: 'Plans', to: '/plans' },
  { label: 'Billing', to: '/billing' },
  { label: 'Nodes', to: '/nodes' },
  { label: 'System', to: '/system' },
  { label: 'Alerts', to: '/alerts' },
  { label: 'Audit log', to: '/audit-log' },
];

/** Only platform admins and support staff may use the console; anyone else is logged out. */
function RequirePlatformRole() {
  const { me, logout } = useSession();
  const allowed = Boolean(me?.user.platformRole);

  useEffect(() => {
    if (me && !allowed) {
      // Logging out flips the session to anonymous; RequireAuth then sends us to /login.
      markAccessDenied();
      void logout();
    }
  }, [me, allowed, logout]);

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
