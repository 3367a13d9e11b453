import { Badge, Paper, Table, Text } from '@mantine/core';
import { type ApiData, unwrap } from '@saas/api-client';
import { EmptyState, formatDateTime, PageTitle, QueryTable, useApi } from '@saas/ui';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useCurrentTenant } from '../tenants/current-tenant';

const PAGE_SIZE = 25;

type AuditEntry = ApiData<'get', '/tenants/{tenantId}/audit-log'>['items'][number];

function useTenantAuditLog(tenantId: string, offset: number) {
  const api = useApi();
  const query = { limit: PAGE_SIZE, offset };
  return useQuery({
    queryKey: ['tenants', tenantId, 'audit-log', query],
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/audit-log', { params: { path: { tenantId }, query } })),
    placeholderData: keepPreviousData,
  });
}

/** Who did it; support acting as one of the organization's people says so (docs/admin.md#impersonation). */
function Who({ entry: e }: { entry: AuditEntry }) {
  if (e.action === 'admin.impersonation_started') {
    return (
      <Text size="sm">
        <Badge color="grape" variant="light" c="grape.9" mr={4}>
          Support
        </Badge>
        {e.actor?.email}
      </Text>
    );
  }
  if (e.impersonator) {
    return (
      <Text size="sm">
        {e.impersonator.email ?? 'Support'} (support) as {e.actor?.email}
      </Text>
    );
  }
  return <Text size="sm">{e.actor?.email ?? 'System'}</Text>;
}

/** The organization's audit log, newest first: for its owners and admins. */
export function ActivityPage() {
  const { tenant } = useCurrentTenant();
  if (!tenant) {
    return (
      <>
        <PageTitle>Activity</PageTitle>
        <EmptyState title="No organization" description="You are not a member of any organization." />
      </>
    );
  }
  if (tenant.role === 'member') {
    return (
      <>
        <PageTitle>Activity of {tenant.name}</PageTitle>
        <EmptyState title="Owners and admins only" description="Ask an owner or admin of the organization for its activity log." />
      </>
    );
  }
  return <TenantActivity tenantId={tenant.id} tenantName={tenant.name} />;
}

function TenantActivity({ tenantId, tenantName }: { tenantId: string; tenantName: string }) {
  const [offset, setOffset] = useState(0);
  const log = useTenantAuditLog(tenantId, offset);
  return (
    <>
      <PageTitle>Activity of {tenantName}</PageTitle>
      <Paper withBorder p="md">
        <QueryTable
          query={log}
          empty={<EmptyState title="Nothing recorded yet" />}
          label="Activity"
          minWidth={720}
          verticalSpacing="xs"
          striped
          columns={['When', 'Who', 'What', 'Details', 'Result']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(e) => (
            <Table.Tr key={e.id}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
              <Table.Td>
                <Who entry={e} />
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
                <Badge color={e.result === 'success' ? 'teal' : 'red'} variant="light" c={e.result === 'success' ? 'teal.9' : 'red.9'}>
                  {e.result}
                </Badge>
              </Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
