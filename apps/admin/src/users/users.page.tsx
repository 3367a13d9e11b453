import { Badge, Group, Paper, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { ConfirmButton, EmptyState, formatDate, formatDateTime, notifyError, Pager, PageTitle, QueryView, useSession } from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { type AdminUser, type PlatformRole, useAdminUsers, useUpdateUser } from './users.queries';

const NONE = 'none';
const roleOptions = [
  { value: NONE, label: 'No platform role' },
  { value: 'support', label: 'Support' },
  { value: 'admin', label: 'Admin' },
];

function StatusBadges({ user }: { user: AdminUser }) {
  const locked = user.lockedUntil && new Date(user.lockedUntil) > new Date();
  return (
    <Group gap={4}>
      {user.disabled ? (
        <Badge color="red" variant="light">
          Disabled
        </Badge>
      ) : (
        <Badge color="teal" variant="light">
          Active
        </Badge>
      )}
      {locked && (
        <Badge color="orange" variant="light" title={`Locked until ${formatDateTime(user.lockedUntil)}`}>
          Locked
        </Badge>
      )}
      {!user.emailVerified && (
        <Badge color="gray" variant="outline">
          Unverified
        </Badge>
      )}
      {user.totpEnabled && (
        <Badge color="indigo" variant="outline">
          2FA
        </Badge>
      )}
    </Group>
  );
}

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [offset, setOffset] = useState(0);
  const users = useAdminUsers({ q, limit: PAGE_SIZE, offset });
  const update = useUpdateUser();
  const canEdit = useIsPlatformAdmin();
  const { me } = useSession();

  function patch(user: AdminUser, body: Parameters<typeof update.mutateAsync>[0]['patch']) {
    return update.mutateAsync({ userId: user.id, patch: body });
  }

  return (
    <>
      <PageTitle>Users</PageTitle>
      <Paper withBorder p="md">
        <TextInput
          label="Search users"
          placeholder="Email or name"
          type="search"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setOffset(0);
          }}
          maw={360}
          mb="md"
        />
        <QueryView
          query={users}
          loadingLabel="Loading users…"
          isEmpty={(data) => data.items.length === 0}
          empty={<EmptyState title="No users found" description={q ? `Nothing matches “${q}”.` : undefined} />}
        >
          {(data) => (
            <>
              <Table.ScrollContainer minWidth={820}>
                <Table verticalSpacing="sm" striped highlightOnHover aria-busy={users.isFetching}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">User</Table.Th>
                      <Table.Th scope="col">Status</Table.Th>
                      <Table.Th scope="col">Platform role</Table.Th>
                      <Table.Th scope="col">Created</Table.Th>
                      <Table.Th scope="col">Actions</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((u) => {
                      const self = u.id === me?.user.id;
                      return (
                        <Table.Tr key={u.id}>
                          <Table.Td>
                            <Text size="sm" fw={500}>
                              {u.name || '—'}
                            </Text>
                            <Text size="xs" c="dimmed">
                              {u.email}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <StatusBadges user={u} />
                          </Table.Td>
                          <Table.Td>
                            {canEdit && !self ? (
                              <Select
                                aria-label={`Platform role of ${u.email}`}
                                size="xs"
                                w={170}
                                allowDeselect={false}
                                data={roleOptions}
                                value={u.platformRole ?? NONE}
                                onChange={(v) =>
                                  v &&
                                  patch(u, { platformRole: v === NONE ? null : (v as Exclude<PlatformRole, null>) }).catch((e) =>
                                    notifyError(e, 'Could not change the role'),
                                  )
                                }
                              />
                            ) : (
                              <Text size="sm">{u.platformRole ?? '—'}</Text>
                            )}
                          </Table.Td>
                          <Table.Td>{formatDate(u.createdAt)}</Table.Td>
                          <Table.Td>
                            {canEdit && !self && (
                              <ConfirmButton
                                aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}
                                color={u.disabled ? 'teal' : 'red'}
                                title={u.disabled ? 'Enable user' : 'Disable user'}
                                message={
                                  u.disabled
                                    ? `${u.email} will be able to log in again.`
                                    : `${u.email} will be logged out everywhere and cannot log in until enabled again.`
                                }
                                confirmLabel={u.disabled ? 'Enable' : 'Disable'}
                                onConfirm={() => patch(u, { disabled: !u.disabled })}
                              >
                                {u.disabled ? 'Enable' : 'Disable'}
                              </ConfirmButton>
                            )}
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Pager total={data.total} limit={PAGE_SIZE} offset={offset} onChange={setOffset} />
            </>
          )}
        </QueryView>
      </Paper>
    </>
  );
}
