import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { AuthCard, ErrorState, formatDate, LoadingState, notifyError, useSession } from '@saas/ui';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { rememberTenant } from '../tenants/current-tenant';
import { useAcceptInvitation, useInvitationLookup } from './invitations.queries';

export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const lookup = useInvitationLookup(token);
  const accept = useAcceptInvitation();
  const { status, me } = useSession();
  const navigate = useNavigate();
  const here = encodeURIComponent(`/accept-invitation?token=${encodeURIComponent(token)}`);

  function onAccept() {
    accept.mutate(token, {
      onSuccess: (data) => {
        rememberTenant(data.tenantId);
        navigate('/', { replace: true });
      },
      onError: (e) => notifyError(e),
    });
  }

  let body: React.ReactNode;
  if (!token) {
    body = (
      <Alert color="red" role="alert">
        This link has no invitation token. Open the link from the email again.
      </Alert>
    );
  } else if (lookup.isPending || status === 'restoring') {
    body = <LoadingState label="Looking up the invitation…" />;
  } else if (lookup.isError) {
    body = <ErrorState title="This invitation cannot be used" error={lookup.error} />;
  } else {
    const inv = lookup.data;
    const otherAccount = me && me.user.email.toLowerCase() !== inv.email.toLowerCase();
    body = (
      <Stack>
        <Text>
          You have been invited to join <strong>{inv.tenantName}</strong> as <strong>{inv.role}</strong>.
        </Text>
        <Text size="sm" c="dimmed">
          Invitation for {inv.email}, valid until {formatDate(inv.expiresAt)}.
        </Text>
        {status === 'authenticated' ? (
          <>
            {otherAccount && (
              <Alert color="yellow" role="status">
                You are logged in as {me?.user.email}. The invitation will be added to this account.
              </Alert>
            )}
            <Button onClick={onAccept} loading={accept.isPending}>
              Accept invitation
            </Button>
          </>
        ) : (
          <Group grow>
            <Button component={Link} to={`/login?next=${here}`}>
              Log in to accept
            </Button>
            <Button component={Link} to={`/signup?next=${here}`} variant="default">
              Sign up
            </Button>
          </Group>
        )}
      </Stack>
    );
  }

  return (
    <AuthCard productName={PRODUCT_NAME} title="Join an organization">
      {body}
    </AuthCard>
  );
}
