import { Anchor, Group, Paper, Table, Text } from '@mantine/core';
import { EmptyState, formatDate, NameCell, PageTitle, QueryTable, useSearchPaging } from '@saas/ui';
import { Link, useSearchParams } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { SubscriptionStatusBadge } from '../billing/billing-badges';
import { PAGE_SIZE } from '../config';
import { ChangePlanButton } from './change-plan-button';
import { ManualBillingActions } from './manual-billing-actions';
import { type AdminTenant, useAdminTenants } from './tenants.queries';

function Billing({ tenant }: { tenant: AdminTenant }) {
  if (!tenant.billing) return <Text size="sm">—</Text>;
  return (
    <>
      <SubscriptionStatusBadge status={tenant.billing.status} />
      <Text size="xs" c="dimmed">
        {tenant.planCode} · {tenant.billing.provider === 'stripe' ? 'Stripe' : 'Manual'}
      </Text>
    </>
  );
}

export function TenantsPage() {
  // The billing lists link here with ?q=<tenant name>.
  const [params] = useSearchParams();
  const { field, term: q, offset, setOffset } = useSearchPaging(params.get('q') ?? '');
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
          minWidth={canEdit ? 1180 : 820}
          striped
          highlightOnHover
          columns={['Name', 'Owner', 'Members', 'Created', 'Subscription', 'Audit', canEdit && 'Actions']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(t) => (
            <Table.Tr key={t.id}>
              <NameCell name={t.name} detail={t.id} monospace />
              <Table.Td>{t.owner?.email ?? '—'}</Table.Td>
              <Table.Td>{t.memberCount}</Table.Td>
              <Table.Td>{formatDate(t.createdAt)}</Table.Td>
              <Table.Td>
                <Billing tenant={t} />
              </Table.Td>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={`/audit-log?tenantId=${encodeURIComponent(t.id)}`}
                  size="sm"
                  aria-label={`View log of ${t.name}`}
                >
                  View log
                </Anchor>
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <ChangePlanButton tenant={t} />
                    {/* Stripe tenants change state through Stripe (checkout, portal, webhooks), never by hand. */}
                    {t.billing?.provider === 'manual' && <ManualBillingActions tenant={t} />}
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
