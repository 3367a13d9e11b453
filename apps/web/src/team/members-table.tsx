import { Badge, Group, Select, Table, Text } from '@mantine/core';
import { ConfirmButton, DataTable, EmptyState, formatDate, notifyError, QueryView } from '@saas/ui';
import { type Member, type MemberRole, useChangeMemberRole, useMembers, useRemoveMember } from './team.queries';

const roleOptions: { value: MemberRole; label: string }[] = [
  { value: 'admin', label: 'Admin' },
  { value: 'member', label: 'Member' },
];

interface Props {
  tenantId: string;
  canManage: boolean;
  currentUserId: string;
}

export function MembersTable({ tenantId, canManage, currentUserId }: Props) {
  const members = useMembers(tenantId);
  const changeRole = useChangeMemberRole(tenantId);
  const remove = useRemoveMember(tenantId);

  const editable = (m: Member) => canManage && m.role !== 'owner' && m.userId !== currentUserId;

  return (
    <QueryView query={members} loadingLabel="Loading members…" empty={<EmptyState title="No members" />}>
      {(data) => (
        <DataTable
          label="Members"
          minWidth={560}
          striped
          highlightOnHover
          columns={['Name', 'Email', 'Role', 'Joined', canManage && { label: 'Actions', hidden: true }]}
        >
          {data.map((m) => (
            <Table.Tr key={m.userId}>
              <Table.Td>
                <Text size="sm" fw={500}>
                  {m.name || '—'}{' '}
                  {m.userId === currentUserId && (
                    <Badge size="xs" variant="outline">
                      you
                    </Badge>
                  )}
                </Text>
              </Table.Td>
              <Table.Td>{m.email}</Table.Td>
              <Table.Td>
                {editable(m) ? (
                  <Select
                    aria-label={`Role of ${m.name || m.email}`}
                    size="xs"
                    w={120}
                    allowDeselect={false}
                    data={roleOptions}
                    value={m.role}
                    disabled={changeRole.isPending}
                    onChange={(role) =>
                      role &&
                      changeRole.mutate(
                        { userId: m.userId, role: role as MemberRole },
                        { onError: (e) => notifyError(e, 'Could not change the role') },
                      )
                    }
                  />
                ) : (
                  <Badge variant={m.role === 'owner' ? 'filled' : 'light'}>{m.role}</Badge>
                )}
              </Table.Td>
              <Table.Td>{formatDate(m.joinedAt)}</Table.Td>
              {canManage && (
                <Table.Td>
                  <Group justify="flex-end">
                    {editable(m) && (
                      <ConfirmButton
                        aria-label={`Remove ${m.name || m.email}`}
                        title="Remove member"
                        message={`${m.name || m.email} will lose access to this organization and its instances.`}
                        confirmLabel="Remove"
                        onConfirm={() => remove.mutateAsync(m.userId)}
                      >
                        Remove
                      </ConfirmButton>
                    )}
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </DataTable>
      )}
    </QueryView>
  );
}
