import { AppLayout, RequireAuth } from '@saas/ui';
import { Outlet } from 'react-router';
import { BillingBanners } from './billing/billing-banners';
import { PRODUCT_NAME } from './config';
import { ImpersonationBanner } from './impersonation/impersonation-banner';
import { CurrentTenantProvider } from './tenants/current-tenant';
import { TenantSwitcher } from './tenants/tenant-switcher';

const nav = [
  { label: 'Dashboard', to: '/', end: true },
  { label: 'Instances', to: '/instances' },
  { label: 'Backups', to: '/backups' },
  { label: 'Team', to: '/team' },
  { label: 'Activity', to: '/activity' },
  { label: 'Billing', to: '/billing' },
  { label: 'Account', to: '/account', end: true },
  { label: 'Sessions', to: '/account/sessions' },
];

const userMenu = [
  { label: 'Account settings', to: '/account' },
  { label: 'Active sessions', to: '/account/sessions' },
];

/** Everything behind login: guard, tenant context, shell. */
export function TenantAppLayout() {
  return (
    <RequireAuth>
      <CurrentTenantProvider>
        <AppLayout productName={PRODUCT_NAME} nav={nav} userMenu={userMenu} headerExtra={<TenantSwitcher />}>
          <ImpersonationBanner />
          <BillingBanners />
          <Outlet />
        </AppLayout>
      </CurrentTenantProvider>
    </RequireAuth>
  );
}
