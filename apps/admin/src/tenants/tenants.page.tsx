import { Anchor, Paper, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { EmptyState, formatDate, Pager, PageTitle, QueryView } from '@saas/ui';
import { useState } from 'react';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { ChangePlanButton } from './change-plan-button';
import { useAdminTenants } from './tenants.queries';

export function TenantsPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [offset, setOffset] = useState(0);
  const tenants = useAdminTenants({ q, limit: PAGE_SIZE, offset });
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <PageTitle>Tenants</PageTitle>
      <Paper withBorder p="md">
        <TextInput
          label="Search tenants"
          placeholder="Name"
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
          query={tenants}
          loadingLabel="Loading tenants…"
          isEmpty={(data) => data.items.length === 0}
          empty={<EmptyState title="No tenants found" />}
        >
          {(data) => (
            <>
              <Table.ScrollContainer minWidth={canEdit ? 840 : 720}>
                <Table verticalSpacing="sm" striped highlightOnHover aria-busy={tenants.isFetching}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Name</Table.Th>
                      <Table.Th scope="col">Owner</Table.Th>
                      <Table.Th scope="col">Members</Table.Th>
                      <Table.Th scope="col">Created</Table.Th>
                      <Table.Th scope="col">Audit</Table.Th>
                      {canEdit && <Table.Th scope="col">Plan</Table.Th>}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.items.map((t) => (
                      <Table.Tr key={t.id}>
                        <Table.Td>
                          <Text size="sm" fw={500}>
                            {t.name}
                          </Text>
                          <Text size="xs" c="dimmed" ff="monospace">
                            {t.id}
                          </Text>
                        </Table.Td>
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
                    ))}
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
