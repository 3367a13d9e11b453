import { Alert, Button, Group, Text } from '@mantine/core';
import { useSession } from '@saas/ui';
import { useEffect, useState } from 'react';

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * Shown on every page while a platform operator views the account as its user (support impersonation,
 * docs/admin.md). Ending it, or reaching its end, logs this browser out.
 */
export function ImpersonationBanner() {
  const { me, logout } = useSession();
  const impersonation = me?.impersonation;
  const [ending, setEnding] = useState(false);

  useEffect(() => {
    if (!impersonation) return;
    const left = new Date(impersonation.expiresAt).getTime() - Date.now();
    // The server refuses the session from then on; the app follows at once rather than at the next request.
    const timer = setTimeout(() => void logout(), Math.max(0, left));
    return () => clearTimeout(timer);
  }, [impersonation, logout]);

  if (!impersonation || !me) return null;
  return (
    <Alert color="grape" variant="filled" mb="md" role="status" aria-label="Support session">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm" fw={500}>
          You are viewing as {me.user.email} on behalf of support ({impersonation.operatorEmail}), until {time(impersonation.expiresAt)}.
          Reason: {impersonation.reason}
        </Text>
        <Button
          size="xs"
          variant="white"
          color="grape"
          loading={ending}
          onClick={() => {
            setEnding(true);
            void logout();
          }}
        >
          End session
        </Button>
      </Group>
    </Alert>
  );
}
