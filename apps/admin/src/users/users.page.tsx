import { Badge, Group, Paper, Select, Table, Text } from '@mantine/core';
import {
  ConfirmButton,
  EmptyState,
  formatDate,
  formatDateTime,
  NameCell,
  notifyError,
  PageTitle,
  QueryTable,
  useSearchPaging,
  useSession,
} from '@saas/ui';
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
  const { field, term: q, offset, setOffset } = useSearchPaging();
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
        <QueryTable
          search={{ label: 'Search users', placeholder: 'Email or name', ...field }}
          query={users}
          empty={<EmptyState title="No users found" description={q ? `Nothing matches “${q}”.` : undefined} />}
          label="Users"
          minWidth={820}
          striped
          highlightOnHover
          columns={['User', 'Status', 'Platform role', 'Created', 'Actions']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(u) => {
            const self = u.id === me?.user.id;
            return (
              <Table.Tr key={u.id}>
                <NameCell name={u.name || '—'} detail={u.email} />
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
          }}
        </QueryTable>
      </Paper>
    </>
  );
}
