import { Anchor, Badge, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { DataTable, EmptyState, formatDate, formatDateTime, PageTitle, QueryView } from '@saas/ui';
import { Link, useParams } from 'react-router';
import { AuditTrail } from '../audit/audit-trail';
import { Fact, Section, UUID } from '../shared/detail-parts';
import { UserActions } from './user-actions';
import { lightBadge, UserStatusBadges } from './user-status-badges';
import { type AdminSession, type AdminUserDetail, useAdminUser } from './users.queries';

function SessionRow({ session: s }: { session: AdminSession }) {
  return (
    <Table.Tr>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(s.createdAt)}</Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(s.lastUsedAt)}</Table.Td>
      <Table.Td>{s.ip ?? '—'}</Table.Td>
      <Table.Td>
        <Text size="xs" lineClamp={2} title={s.userAgent ?? undefined}>
          {s.userAgent ?? '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        {s.impersonation ? (
          <>
            <Badge {...lightBadge('grape')}>Impersonation</Badge>
            <Text size="xs">
              by {s.impersonation.operatorEmail ?? s.impersonation.operatorId}, until {formatDateTime(s.expiresAt)}
            </Text>
            {s.impersonation.reason && (
              <Text size="xs" c="dimmed">
                {s.impersonation.reason}
              </Text>
            )}
          </>
        ) : (
          <Text size="sm">Own login</Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function UserDetail({ detail }: { detail: AdminUserDetail }) {
  const { user, tenants, sessions } = detail;
  return (
    <Stack>
      <PageTitle>{user.name || user.email}</PageTitle>
      <Section title="Profile">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md" mb="md">
          <Fact label="Email">{user.email}</Fact>
          <Fact label="Email confirmed">{user.emailVerified ? 'Yes' : 'Not yet'}</Fact>
          <Fact label="Two-factor">{user.totpEnabled ? 'On' : 'Off'}</Fact>
          <Fact label="Platform role">{user.platformRole ?? 'None'}</Fact>
          <Fact label="Created">{formatDate(user.createdAt)}</Fact>
          <Fact label="Last login">{user.lastLoginAt ? formatDateTime(user.lastLoginAt) : 'Never'}</Fact>
          <Fact label="State">
            <UserStatusBadges user={user} />
          </Fact>
        </SimpleGrid>
        <UserActions user={user} />
      </Section>
      <Section title="Tenants">
        {tenants.length === 0 ? (
          <EmptyState title="No tenants" description="This user belongs to no organization." />
        ) : (
          <DataTable label="Tenants of the user" minWidth={480} striped columns={['Tenant', 'Role', 'Joined']}>
            {tenants.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/tenants/${t.id}`} size="sm">
                    {t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t.role}</Table.Td>
                <Table.Td>{formatDate(t.joinedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Active sessions">
        {sessions.length === 0 ? (
          <EmptyState title="No active sessions" description="The user is not logged in anywhere." />
        ) : (
          <DataTable label="Active sessions of the user" minWidth={760} striped columns={['Started', 'Last used', 'IP', 'Browser', 'Kind']}>
            {sessions.map((s) => (
              <SessionRow key={s.id} session={s} />
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Audit trail">
        <AuditTrail
          filter={{ userId: user.id }}
          label="Audit entries of the user"
          emptyDescription="Nothing has been recorded for this user yet."
        />
      </Section>
    </Stack>
  );
}

export function UserDetailPage() {
  const { userId = '' } = useParams();
  if (!UUID.test(userId)) return <EmptyState title="User not found" description="This address names no user." />;
  return <UserDetailView userId={userId} />;
}

function UserDetailView({ userId }: { userId: string }) {
  const user = useAdminUser(userId);
  return (
    <QueryView query={user} loadingLabel="Loading the user…" empty={null} isEmpty={() => false}>
      {(detail) => <UserDetail detail={detail} />}
    </QueryView>
  );
}
