import { Alert, Anchor, Stack } from '@mantine/core';
import { unwrap } from '@saas/api-client';
import { AuthCard, LoadingState, problemMessage, useApi, useSession } from '@saas/ui';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { PRODUCT_NAME } from '../config';

let takenCode = '';

/**
 * The single-use code from the link's fragment (never sent to a server in a URL, so never in an access log),
 * taken off the address bar and out of history at once. Kept here so a second render (StrictMode) finds it too.
 */
function takeCode(): string {
  const code = new URLSearchParams(window.location.hash.slice(1)).get('code');
  if (code) {
    takenCode = code;
    window.history.replaceState(null, '', window.location.pathname);
  }
  return takenCode;
}

/**
 * Where the admin dashboard's "View as user" link lands (docs/admin.md): trades the code for a session of
 * this origin, then opens the app, whose banner says whose account this is and until when.
 */
export function ImpersonatePage() {
  const api = useApi();
  const { status, adoptSession } = useSession();
  const navigate = useNavigate();
  const [code] = useState(takeCode);
  const [error, setError] = useState<string | null>(
    code ? null : 'This link has no code. Start the impersonation again from the admin dashboard.',
  );
  const sent = useRef(false);

  // After the session restore: its answer (an older session of this browser) must not land after ours.
  useEffect(() => {
    if (!code || status === 'restoring' || sent.current) return;
    sent.current = true;
    unwrap(api.POST('/auth/impersonation/exchange', { body: { code }, credentials: 'include' }))
      .then((session) => {
        adoptSession(session);
        navigate('/', { replace: true });
      })
      .catch((err: unknown) => setError(problemMessage(err)));
  }, [api, code, status, adoptSession, navigate]);

  return (
    <AuthCard productName={PRODUCT_NAME} title="Support access">
      <Stack>
        {error ? (
          <Alert color="red" role="alert" title="Could not open the account">
            {error}
          </Alert>
        ) : (
          <LoadingState label="Opening the account…" />
        )}
        <Anchor component={Link} to="/login">
          Go to the login page
        </Anchor>
      </Stack>
    </AuthCard>
  );
}
