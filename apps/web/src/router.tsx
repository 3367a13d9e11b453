import { LoadingState } from '@saas/ui';
import { type ComponentType, lazy, Suspense } from 'react';
import { createBrowserRouter } from 'react-router';
import { TenantAppLayout } from './app-layout';
import { LoginPage } from './auth/login.page';
import { CurrentTenantProvider } from './tenants/current-tenant';

/**
 * A route element whose code is loaded on first visit (React.lazy), so the first download holds only
 * the shell and the login page. The Suspense boundary is per page, so the layout stays on screen.
 */
function page<M>(load: () => Promise<M>, pick: (module: M) => ComponentType) {
  const Page = lazy(() => load().then((m) => ({ default: pick(m) })));
  return (
    <Suspense fallback={<LoadingState />}>
      <Page />
    </Suspense>
  );
}

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    path: '/signup',
    element: page(
      () => import('./auth/signup.page'),
      (m) => m.SignupPage,
    ),
  },
  {
    path: '/verify-email',
    element: page(
      () => import('./auth/verify-email.page'),
      (m) => m.VerifyEmailPage,
    ),
  },
  {
    path: '/forgot-password',
    element: page(
      () => import('./auth/forgot-password.page'),
      (m) => m.ForgotPasswordPage,
    ),
  },
  {
    path: '/reset-password',
    element: page(
      () => import('./auth/reset-password.page'),
      (m) => m.ResetPasswordPage,
    ),
  },
  {
    // The admin dashboard's support impersonation link (docs/admin.md).
    path: '/impersonate',
    element: page(
      () => import('./impersonation/impersonate.page'),
      (m) => m.ImpersonatePage,
    ),
  },
  {
    path: '/accept-invitation',
    element: page(
      () => import('./invitations/accept-invitation.page'),
      (m) => m.AcceptInvitationPage,
    ),
  },
  {
    // Public, but knows the session: logged in, a choice starts the checkout of the current organization.
    path: '/pricing',
    element: (
      <CurrentTenantProvider>
        {page(
          () => import('./billing/pricing.page'),
          (m) => m.PricingPage,
        )}
      </CurrentTenantProvider>
    ),
  },
  {
    element: <TenantAppLayout />,
    children: [
      {
        index: true,
        element: page(
          () => import('./dashboard/dashboard.page'),
          (m) => m.DashboardPage,
        ),
      },
      {
        path: 'instances',
        element: page(
          () => import('./instances/instances.page'),
          (m) => m.InstancesPage,
        ),
      },
      {
        path: 'instances/new',
        element: page(
          () => import('./instances/create-instance.page'),
          (m) => m.CreateInstancePage,
        ),
      },
      {
        path: 'instances/:instanceId',
        element: page(
          () => import('./instances/instance-detail.page'),
          (m) => m.InstanceDetailPage,
        ),
      },
      {
        path: 'instances/:instanceId/setup',
        element: page(
          () => import('./instances/instance-setup.page'),
          (m) => m.InstanceSetupPage,
        ),
      },
      {
        path: 'backups',
        element: page(
          () => import('./backups/backups.page'),
          (m) => m.BackupsPage,
        ),
      },
      {
        path: 'team',
        element: page(
          () => import('./team/team.page'),
          (m) => m.TeamPage,
        ),
      },
      {
        path: 'activity',
        element: page(
          () => import('./activity/activity.page'),
          (m) => m.ActivityPage,
        ),
      },
      {
        path: 'billing',
        element: page(
          () => import('./billing/billing.page'),
          (m) => m.BillingPage,
        ),
      },
      {
        path: 'account',
        element: page(
          () => import('./account/account.page'),
          (m) => m.AccountPage,
        ),
      },
      {
        path: 'account/sessions',
        element: page(
          () => import('./account/sessions.page'),
          (m) => m.SessionsPage,
        ),
      },
    ],
  },
  {
    path: '*',
    element: page(
      () => import('./not-found.page'),
      (m) => m.NotFoundPage,
    ),
  },
]);
