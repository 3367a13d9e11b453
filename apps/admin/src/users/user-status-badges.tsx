import { Badge, Group } from '@mantine/core';
import { formatDateTime } from '@saas/ui';
import type { AdminUser } from './users.queries';

/** Light badges with the darkest text shade: Mantine's default light text is below 4.5:1 on striped rows. */
export const lightBadge = (color: string) => ({ color, variant: 'light', c: `${color}.9` }) as const;

/** Active or disabled, and whatever else an operator should notice at a glance. */
export function UserStatusBadges({ user }: { user: AdminUser }) {
  const locked = user.lockedUntil && new Date(user.lockedUntil) > new Date();
  return (
    <Group gap={4}>
      {user.disabled ? <Badge {...lightBadge('red')}>Disabled</Badge> : <Badge {...lightBadge('teal')}>Active</Badge>}
      {locked && (
        <Badge {...lightBadge('orange')} title={`Locked until ${formatDateTime(user.lockedUntil)}`}>
          Locked
        </Badge>
      )}
      {!user.emailVerified && (
        <Badge color="gray.7" variant="outline">
          Unverified
        </Badge>
      )}
      {user.totpEnabled && (
        <Badge color="indigo.9" variant="outline">
          2FA
        </Badge>
      )}
    </Group>
  );
}
