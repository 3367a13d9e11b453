import { Anchor, Badge, Table, Text } from '@mantine/core';
import { EmptyState, formatDateTime, QueryTable } from '@saas/ui';
import { useState } from 'react';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { lightBadge } from '../users/user-status-badges';
import { type AuditEntry, useAdminAuditLog } from './audit.queries';

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

function TenantLink({ tenantId }: { tenantId: string | null }) {
  if (!tenantId) return '—';
  return (
    <Anchor component={Link} to={`/tenants/${tenantId}`} size="xs" ff="monospace" aria-label={`Tenant ${tenantId}`}>
      {tenantId.slice(0, 8)}
    </Anchor>
  );
}

function TargetCell({ entry: e }: { entry: AuditEntry }) {
  return (
    <Text size="xs" ff="monospace">
      {e.targetType ? `${e.targetType}:${e.targetId?.slice(0, 8) ?? ''}` : '—'}
    </Text>
  );
}

/**
 * A detail page's slice of the audit log, newest first, paged on the server: a user's (actor or target:
 * `userId`, with each entry's tenant) or a tenant's (`tenantId`, with each entry's target).
 */
export function AuditTrail({
  filter,
  label,
  emptyDescription,
}: {
  filter: { userId: string } | { tenantId: string };
  label: string;
  emptyDescription: string;
}) {
  const [offset, setOffset] = useState(0);
  const trail = useAdminAuditLog({ ...filter, limit: PAGE_SIZE, offset });
  const byTenant = 'tenantId' in filter;
  return (
    <QueryTable
      query={trail}
      empty={<EmptyState title="No audit entries" description={emptyDescription} />}
      label={label}
      minWidth={860}
      verticalSpacing="xs"
      striped
      columns={['When', 'Actor', 'Action', 'Reason', byTenant ? 'Target' : 'Tenant', 'Result']}
      paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
    >
      {(e) => (
        <Table.Tr key={e.id}>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
          <Table.Td>
            <ActorCell actor={e.actor} impersonator={e.impersonator ?? null} />
          </Table.Td>
          <Table.Td>
            <Text size="sm" ff="monospace">
              {e.action}
            </Text>
          </Table.Td>
          <Table.Td>
            <Text size="sm">{e.reason ?? '—'}</Text>
          </Table.Td>
          <Table.Td>{byTenant ? <TargetCell entry={e} /> : <TenantLink tenantId={e.tenantId} />}</Table.Td>
          <Table.Td>
            <Badge {...lightBadge(e.result === 'success' ? 'teal' : 'red')}>{e.result}</Badge>
          </Table.Td>
        </Table.Tr>
      )}
    </QueryTable>
  );
}
