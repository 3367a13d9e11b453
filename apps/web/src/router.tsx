import { createBrowserRouter } from 'react-router';
import { AccountPage } from './account/account.page';
import { SessionsPage } from './account/sessions.page';
import { TenantAppLayout } from './app-layout';
import { ForgotPasswordPage } from './auth/forgot-password.page';
import { LoginPage } from './auth/login.page';
import { ResetPasswordPage } from './auth/reset-password.page';
import { SignupPage } from './auth/signup.page';
import { VerifyEmailPage } from './auth/verify-email.page';
import { DashboardPage } from './dashboard/dashboard.page';
import { AcceptInvitationPage } from './invitations/accept-invitation.page';
import { NotFoundPage } from './not-found.page';
import { TeamPage } from './team/team.page';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignupPage /> },
  { path: '/verify-email', element: <VerifyEmailPage /> },
  { path: '/forgot-password', element: <ForgotPasswordPage /> },
  { path: '/reset-password', element: <ResetPasswordPage /> },
  { path: '/accept-invitation', element: <AcceptInvitationPage /> },
  {
    element: <TenantAppLayout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'team', element: <TeamPage /> },
      { path: 'account', element: <AccountPage /> },
      { path: 'account/sessions', element: <SessionsPage /> },
    ],
  },
  { path: '*', element: <NotFoundPage /> },
]);
