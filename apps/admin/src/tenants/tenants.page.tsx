import { Anchor, Paper, Table } from '@mantine/core';
import { EmptyState, formatDate, NameCell, PageTitle, QueryTable, useSearchPaging } from '@saas/ui';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { ChangePlanButton } from './change-plan-button';
import { useAdminTenants } from './tenants.queries';

export function TenantsPage() {
  const { field, term: q, offset, setOffset } = useSearchPaging();
  const tenants = useAdminTenants({ q, limit: PAGE_SIZE, offset });
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <PageTitle>Tenants</PageTitle>
      <Paper withBorder p="md">
        <QueryTable
          search={{ label: 'Search tenants', placeholder: 'Name', ...field }}
          query={tenants}
          empty={<EmptyState title="No tenants found" />}
          label="Tenants"
          minWidth={canEdit ? 840 : 720}
          striped
          highlightOnHover
          columns={['Name', 'Owner', 'Members', 'Created', 'Audit', canEdit && 'Plan']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(t) => (
            <Table.Tr key={t.id}>
              <NameCell name={t.name} detail={t.id} monospace />
              <Table.Td>{t.owner?.email ?? '—'}</Table.Td>
              <Table.Td>{t.memberCount}</Table.Td>
              <Table.Td>{formatDate(t.createdAt)}</Table.Td>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={`/audit-log?tenantId=${encodeURIComponent(t.id)}`}
                  size="sm"
                  aria-label={`Audit log of ${t.name}`}
                >
                  View log
                </Anchor>
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <ChangePlanButton tenant={t} />
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
