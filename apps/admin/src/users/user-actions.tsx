import { Group, Select, Stack, Text } from '@mantine/core';
import { notifyError, notifySuccess, useSession } from '@saas/ui';
import { useIsPlatformAdmin } from '../app-layout';
import { ImpersonateButton } from './impersonate-button';
import { ReasonButton } from './reason-button';
import { type AdminUser, type PlatformRole, useUpdateUser, useUserAction } from './users.queries';

const NONE = 'none';
const roleOptions = [
  { value: NONE, label: 'No platform role' },
  { value: 'support', label: 'Support' },
  { value: 'admin', label: 'Admin' },
];

/**
 * What an operator can do to an account: platform admins only (impersonation included); support staff
 * see none of it, and the API refuses them anyway (docs/admin.md).
 */
export function UserActions({ user }: { user: AdminUser }) {
  const isAdmin = useIsPlatformAdmin();
  const { me } = useSession();
  const self = me?.user.id === user.id;
  const update = useUpdateUser();
  const logout = useUserAction('logout');
  const resetTwoFactor = useUserAction('reset-two-factor');
  const passwordReset = useUserAction('password-reset');
  const canImpersonate = isAdmin && !user.platformRole && !user.disabled;

  if (self) {
    return (
      <Text size="sm" c="dimmed">
        This is your own account: change it from your account settings.
      </Text>
    );
  }

  return (
    <Stack gap="sm">
      <Group gap="xs" wrap="wrap">
        {canImpersonate && <ImpersonateButton user={user} />}
        {isAdmin && (
          <>
            <ReasonButton
              color={user.disabled ? 'teal' : 'red'}
              title={user.disabled ? 'Enable user' : 'Disable user'}
              message={
                user.disabled
                  ? `${user.email} will be able to log in again.`
                  : `${user.email} will be logged out everywhere and cannot log in until enabled again.`
              }
              confirmLabel={user.disabled ? 'Enable' : 'Disable'}
              onConfirm={async (reason) => {
                await update.mutateAsync({ userId: user.id, patch: { disabled: !user.disabled, reason } });
                notifySuccess(`${user.email} is ${user.disabled ? 'enabled' : 'disabled'}.`);
              }}
            >
              {user.disabled ? 'Enable' : 'Disable'}
            </ReasonButton>
            <ReasonButton
              title="Force logout"
              message={`Every session of ${user.email} ends now, on every device (support impersonations included).`}
              confirmLabel="Log out everywhere"
              onConfirm={async (reason) => notifySuccess((await logout.mutateAsync({ userId: user.id, reason })).message, 'Logged out')}
            >
              Force logout
            </ReasonButton>
            {user.totpEnabled && (
              <ReasonButton
                title="Reset two-factor authentication"
                message={`Removes the authenticator secret and the recovery codes of ${user.email}, signs them out and tells them by mail. Only do this once you are sure who asked.`}
                confirmLabel="Reset two-factor"
                onConfirm={async (reason) =>
                  notifySuccess((await resetTwoFactor.mutateAsync({ userId: user.id, reason })).message, 'Two-factor reset')
                }
              >
                Reset two-factor
              </ReasonButton>
            )}
            {!user.disabled && (
              <ReasonButton
                color="blue"
                withReason={false}
                title="Send a password reset"
                message={`${user.email} gets the usual reset link by mail (valid for an hour). Their password does not change unless they follow it.`}
                confirmLabel="Send the link"
                onConfirm={async (reason) =>
                  notifySuccess((await passwordReset.mutateAsync({ userId: user.id, reason })).message, 'Reset link sent')
                }
              >
                Send password reset
              </ReasonButton>
            )}
          </>
        )}
      </Group>
      {isAdmin && (
        <Select
          label="Platform role"
          w={220}
          allowDeselect={false}
          data={roleOptions}
          value={user.platformRole ?? NONE}
          onChange={(v) =>
            v &&
            update
              .mutateAsync({ userId: user.id, patch: { platformRole: v === NONE ? null : (v as Exclude<PlatformRole, null>) } })
              .then(() => notifySuccess(`The platform role of ${user.email} is now ${v === NONE ? 'none' : v}.`))
              .catch((e) => notifyError(e, 'Could not change the role'))
          }
        />
      )}
    </Stack>
  );
}
