import { Alert, Stack } from '@mantine/core';
import { AuthCard, LoginForm, safeNext, useSession } from '@saas/ui';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { clearAccessDenied, wasAccessDenied } from './access-denied';
import { PRODUCT_NAME } from './config';

export function LoginPage() {
  const { status } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const denied = wasAccessDenied();
  const next = safeNext(location.search);
  if (status === 'authenticated') return <Navigate to={next} replace />;

  return (
    <AuthCard productName={PRODUCT_NAME} title="Operator login">
      <Stack>
        {denied && (
          <Alert color="red" title="Not authorized" role="alert">
            This account has no platform role. Only platform admins and support staff can use the operator console; you have been logged
            out.
          </Alert>
        )}
        {/* The platform-role check happens in the layout once /me is loaded. */}
        <LoginForm
          onSuccess={() => {
            clearAccessDenied();
            navigate(next, { replace: true });
          }}
        />
      </Stack>
    </AuthCard>
  );
}
