import { Alert, Anchor, Stack } from '@mantine/core';
import { AuthCard, LoadingState, problemMessage, useSession } from '@saas/ui';
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { useVerifyEmail } from './auth.queries';

export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const verify = useVerifyEmail();
  const { status } = useSession();
  const sent = useRef(false);

  // Tokens are single-use: the ref keeps StrictMode's second effect run from spending it twice.
  useEffect(() => {
    if (token && !sent.current) {
      sent.current = true;
      verify.mutate(token);
    }
  }, [token, verify]);

  const home = status === 'authenticated' ? { to: '/', label: 'Go to the dashboard' } : { to: '/login', label: 'Log in' };

  return (
    <AuthCard productName={PRODUCT_NAME} title="Verify your email">
      <Stack>
        {!token && (
          <Alert color="red" role="alert">
            This link has no verification token. Open the link from the email again.
          </Alert>
        )}
        {token && (verify.isPending || verify.isIdle) && <LoadingState label="Verifying…" />}
        {verify.isSuccess && (
          <Alert color="teal" role="status" title="Email verified">
            Thank you — your email address is confirmed.
          </Alert>
        )}
        {verify.isError && (
          <Alert color="red" role="alert" title="We could not verify your email">
            {problemMessage(verify.error)} The link may have expired; you can request a new one from the dashboard.
          </Alert>
        )}
        <Anchor component={Link} to={home.to}>
          {home.label}
        </Anchor>
      </Stack>
    </AuthCard>
  );
}
