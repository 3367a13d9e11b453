import { createBrowserRouter } from 'react-router';
import { AdminAppLayout } from './app-layout';
import { AuditLogPage } from './audit/audit-log.page';
import { BackupsPage } from './backups/backups.page';
import { InstanceDetailPage } from './instances/instance-detail.page';
import { InstancesPage } from './instances/instances.page';
import { LoginPage } from './login.page';
import { AlertsPage } from './monitoring/alerts.page';
import { NodesPage } from './nodes/nodes.page';
import { NotFoundPage } from './not-found.page';
import { OverviewPage } from './overview/overview.page';
import { PlansPage } from './plans/plans.page';
import { SystemPage } from './system/system.page';
import { TenantDetailPage } from './tenants/tenant-detail.page';
import { TenantsPage } from './tenants/tenants.page';
import { UserDetailPage } from './users/user-detail.page';
import { UsersPage } from './users/users.page';
import { OdooVersionsPage } from './versions/odoo-versions.page';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: <AdminAppLayout />,
    children: [
      { index: true, element: <OverviewPage /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'users/:userId', element: <UserDetailPage /> },
      { path: 'tenants', element: <TenantsPage /> },
      { path: 'tenants/:tenantId', element: <TenantDetailPage /> },
      { path: 'instances', element: <InstancesPage /> },
      { path: 'instances/:instanceId', element: <InstanceDetailPage /> },
      { path: 'backups', element: <BackupsPage /> },
      { path: 'odoo-versions', element: <OdooVersionsPage /> },
      { path: 'plans', element: <PlansPage /> },
      // Its charts (recharts) are the bulk of a bundle no other page needs: loaded on first visit.
      { path: 'billing', lazy: () => import('./billing/billing.page').then((m) => ({ Component: m.BillingPage })) },
      { path: 'nodes', element: <NodesPage /> },
      { path: 'system', element: <SystemPage /> },
      { path: 'alerts', element: <AlertsPage /> },
      { path: 'audit-log', element: <AuditLogPage /> },
    ],
  },
  { path: '*', element: <NotFoundPage /> },
]);
