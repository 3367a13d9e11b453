import { Badge, Group, Paper, Table, Text } from '@mantine/core';
import { ConfirmButton, DataTable, EmptyState, formatDateTime, PageTitle, QueryView } from '@saas/ui';
import { useRevokeSession, useSessions } from './account.queries';

// Enough of the user agent to tell devices apart without a parsing library.
function describeAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = /Firefox\/|Edg\/|Chrome\/|Safari\//.exec(ua)?.[0]?.replace('/', '').replace('Edg', 'Edge') ?? 'Browser';
  const os = /Windows|Mac OS X|Android|iPhone|iPad|Linux/.exec(ua)?.[0]?.replace('Mac OS X', 'macOS') ?? '';
  return os ? `${browser} on ${os}` : browser;
}

export function SessionsPage() {
  const sessions = useSessions();
  const revoke = useRevokeSession();

  return (
    <>
      <PageTitle>Active sessions</PageTitle>
      <Paper withBorder p="md">
        <QueryView query={sessions} loadingLabel="Loading sessions…" empty={<EmptyState title="No active sessions" />}>
          {(data) => (
            <DataTable label="Active sessions" minWidth={600} columns={['Device', 'IP address', 'Signed in', 'Last active', 'Actions']}>
              {data.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Group gap="xs">
                      <Text size="sm" title={s.userAgent ?? undefined}>
                        {describeAgent(s.userAgent)}
                      </Text>
                      {s.current && (
                        <Badge size="sm" color="teal" variant="light">
                          This device
                        </Badge>
                      )}
                      {s.support && (
                        <Badge size="sm" color="grape" variant="light" c="grape.9" title="Platform support viewing your account">
                          Support
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{s.ip ?? '—'}</Table.Td>
                  <Table.Td>{formatDateTime(s.createdAt)}</Table.Td>
                  <Table.Td>{formatDateTime(s.lastUsedAt)}</Table.Td>
                  <Table.Td>
                    {!s.current && (
                      <ConfirmButton
                        aria-label={`Revoke session ${describeAgent(s.userAgent)} from ${s.ip ?? 'unknown IP'}`}
                        title="Revoke session"
                        message="That device will be signed out the next time it talks to the server."
                        confirmLabel="Revoke"
                        onConfirm={() => revoke.mutateAsync(s.id)}
                      >
                        Revoke
                      </ConfirmButton>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </DataTable>
          )}
        </QueryView>
      </Paper>
    </>
  );
}
