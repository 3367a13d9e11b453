import { Anchor, Button, Group, Paper, Select, Table, Text } from '@mantine/core';
import { EmptyState, formatDate, formatDateTime, PageTitle, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { useUrlParams } from '../shared/url-params';
import { UserStatusBadges } from './user-status-badges';
import { type AdminUsersQuery, useAdminUsers } from './users.queries';

type Sort = NonNullable<AdminUsersQuery['sort']>;
type Order = NonNullable<AdminUsersQuery['order']>;

const ALL = 'all';
const roleOptions = [
  { value: ALL, label: 'Any role' },
  { value: 'admin', label: 'Admin' },
  { value: 'support', label: 'Support' },
  { value: 'none', label: 'No platform role' },
];
const stateOptions = [
  { value: ALL, label: 'Any state' },
  { value: 'active', label: 'Active' },
  { value: 'disabled', label: 'Disabled' },
  { value: 'locked', label: 'Locked' },
];
const twoFactorOptions = [
  { value: ALL, label: 'Either' },
  { value: 'true', label: 'On' },
  { value: 'false', label: 'Off' },
];
const sortOptions: { value: string; label: string; sort: Sort; order: Order }[] = [
  { value: 'created-desc', label: 'Newest first', sort: 'created', order: 'desc' },
  { value: 'created-asc', label: 'Oldest first', sort: 'created', order: 'asc' },
  { value: 'email-asc', label: 'Email A–Z', sort: 'email', order: 'asc' },
  { value: 'email-desc', label: 'Email Z–A', sort: 'email', order: 'desc' },
  { value: 'lastLogin-desc', label: 'Last login, recent first', sort: 'lastLogin', order: 'desc' },
  { value: 'lastLogin-asc', label: 'Last login, longest ago first', sort: 'lastLogin', order: 'asc' },
];

const pick = <T extends string>(value: string | null, allowed: readonly T[]): T | undefined =>
  allowed.includes(value as T) ? (value as T) : undefined;

/** The URL's filters as the API's query (unknown values are ignored). */
function queryFrom(params: URLSearchParams, q: string | undefined, offset: number): AdminUsersQuery {
  const state = params.get('state');
  const twoFactor = pick(params.get('twoFactor'), ['true', 'false'] as const);
  const sort = sortOptions.find((o) => o.value === params.get('sort')) ?? sortOptions[0];
  return {
    q,
    platformRole: pick(params.get('role'), ['admin', 'support', 'none'] as const),
    ...(state === 'active' ? { disabled: 'false' } : state === 'disabled' ? { disabled: 'true' } : {}),
    ...(state === 'locked' ? { locked: 'true' } : {}),
    ...(twoFactor ? { twoFactor } : {}),
    sort: sort?.sort,
    order: sort?.order,
    limit: PAGE_SIZE,
    offset,
  };
}

// Search, filters, sort and page live in the URL, so a filtered list can be linked and survives Back.
export function UsersPage() {
  const { params, offset, update, setOffset } = useUrlParams();
  const text = params.get('q') ?? '';
  const q = useSearchTerm(text);
  const users = useAdminUsers(queryFrom(params, q, offset));
  const filtered = Boolean(text || params.get('role') || params.get('state') || params.get('twoFactor'));
  const select = (key: string) => ({
    value: params.get(key) ?? ALL,
    allowDeselect: false,
    onChange: (v: string | null) => update({ [key]: v && v !== ALL ? v : '', offset: '' }),
    w: 200,
  });

  return (
    <>
      <PageTitle>Users</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" mb="md" wrap="wrap">
          <SearchField
            label="Search users"
            placeholder="Email or name"
            value={text}
            onChange={(v) => update({ q: v, offset: '' })}
            w={260}
          />
          <Select label="Platform role" data={roleOptions} {...select('role')} />
          <Select label="State" data={stateOptions} {...select('state')} />
          <Select label="Two-factor" data={twoFactorOptions} {...select('twoFactor')} w={140} />
          <Select label="Sort" data={sortOptions} {...select('sort')} value={params.get('sort') ?? 'created-desc'} w={240} />
          {filtered && (
            <Button variant="default" onClick={() => update({ q: '', role: '', state: '', twoFactor: '', offset: '' })}>
              Clear filters
            </Button>
          )}
        </Group>
        <QueryTable
          query={users}
          empty={<EmptyState title="No users found" description={filtered ? 'No user matches these filters.' : undefined} />}
          label="Users"
          minWidth={820}
          striped
          columns={['User', 'Status', 'Platform role', 'Last login', 'Created']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(u) => (
            <Table.Tr key={u.id}>
              <Table.Td>
                <Anchor component={Link} to={`/users/${u.id}`} size="sm" fw={500}>
                  {u.name || u.email}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {u.email}
                </Text>
              </Table.Td>
              <Table.Td>
                <UserStatusBadges user={u} />
              </Table.Td>
              <Table.Td>{u.platformRole ?? '—'}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{u.lastLoginAt ? formatDateTime(u.lastLoginAt) : 'never'}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(u.createdAt)}</Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
