import { Anchor, Badge, Table, Text } from '@mantine/core';
import { EmptyState, formatDateTime, QueryTable } from '@saas/ui';
import { useState } from 'react';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { lightBadge } from './user-status-badges';
import { useUserAuditTrail } from './users.queries';

/** Who did what: "operator X as user Y" when a support impersonation session made the request. */
export function ActorCell({
  actor,
  impersonator,
}: {
  actor: { email: string | null } | null;
  impersonator: { email: string | null } | null;
}) {
  if (!actor) {
    return (
      <Text span size="sm" c="dimmed">
        system
      </Text>
    );
  }
  if (!impersonator) return <Text size="sm">{actor.email ?? '—'}</Text>;
  return (
    <Text size="sm">
      {impersonator.email ?? 'an operator'}{' '}
      <Text span size="xs" c="grape.9">
        as
      </Text>{' '}
      {actor.email}
    </Text>
  );
}

/** Everything in the audit log where the user is the actor or the target, newest first. */
export function UserAuditTrail({ userId }: { userId: string }) {
  const [offset, setOffset] = useState(0);
  const trail = useUserAuditTrail(userId, { limit: PAGE_SIZE, offset });
  return (
    <QueryTable
      query={trail}
      empty={<EmptyState title="No audit entries" description="Nothing has been recorded for this user yet." />}
      label="Audit entries of the user"
      minWidth={860}
      verticalSpacing="xs"
      striped
      columns={['When', 'Actor', 'Action', 'Reason', 'Tenant', 'Result']}
      paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
    >
      {(e) => (
        <Table.Tr key={e.id}>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
          <Table.Td>
            <ActorCell actor={e.actor} impersonator={e.impersonator} />
          </Table.Td>
          <Table.Td>
            <Text size="sm" ff="monospace">
              {e.action}
            </Text>
          </Table.Td>
          <Table.Td>
            <Text size="sm">{e.reason ?? '—'}</Text>
          </Table.Td>
          <Table.Td>
            {e.tenantId ? (
              <Anchor component={Link} to={`/tenants/${e.tenantId}`} size="xs" ff="monospace" aria-label={`Tenant ${e.tenantId}`}>
                {e.tenantId.slice(0, 8)}
              </Anchor>
            ) : (
              '—'
            )}
          </Table.Td>
          <Table.Td>
            <Badge {...lightBadge(e.result === 'success' ? 'teal' : 'red')}>{e.result}</Badge>
          </Table.Td>
        </Table.Tr>
      )}
    </QueryTable>
  );
}
