import { Anchor, Text } from '@mantine/core';
import { AuthCard, LoginForm, safeNext, useSession } from '@saas/ui';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { PRODUCT_NAME } from '../config';

export function LoginPage() {
  const { status } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const next = safeNext(location.search);
  if (status === 'authenticated') return <Navigate to={next} replace />;
  const carry = location.search.includes('next=') ? location.search : '';

  return (
    <AuthCard
      productName={PRODUCT_NAME}
      title="Log in"
      footer={
        <>
          <Anchor component={Link} to="/forgot-password" size="sm">
            Forgot your password?
          </Anchor>
          <Text size="sm">
            No account yet?{' '}
            <Anchor component={Link} to={`/signup${carry}`}>
              Sign up
            </Anchor>
          </Text>
        </>
      }
    >
      <LoginForm onSuccess={() => navigate(next, { replace: true })} />
    </AuthCard>
  );
}
