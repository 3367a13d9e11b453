import { Anchor, Table, Text } from '@mantine/core';
import { formatDate, formatDateTime, QueryTable } from '@saas/ui';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { FilteredEmptyState, StatusFilter, useStatusParams } from '../shared/status-filter';
import { ManualBillingActions } from '../tenants/manual-billing-actions';
import { useSubscriptions } from './billing.queries';
import { AccessBadge, type SubscriptionStatus, SubscriptionStatusBadge, subscriptionStatusLabels } from './billing-badges';
import { formatMoney } from './money';

const statusOptions = Object.entries(subscriptionStatusLabels).map(([value, label]) => ({ value: value as SubscriptionStatus, label }));
const isStatus = (v: string | null): v is SubscriptionStatus => v !== null && v in subscriptionStatusLabels;

/** Every tenant's subscription, filtered by status on the server; manual ones can be changed from here. */
export function SubscriptionsTab() {
  const { offset, setOffset, status, setStatus } = useStatusParams(isStatus);
  const subscriptions = useSubscriptions({ status, limit: PAGE_SIZE, offset });
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <StatusFilter status={status} onChange={setStatus} allLabel="All statuses" options={statusOptions} mb="md" />
      <QueryTable
        query={subscriptions}
        keepDataOnError
        empty={
          <FilteredEmptyState
            title="No subscriptions"
            description={status ? `No subscription is ${subscriptionStatusLabels[status].toLowerCase()}.` : 'No tenant has signed up yet.'}
            onShowAll={status && (() => setStatus(undefined))}
          />
        }
        label="Subscriptions"
        minWidth={canEdit ? 1100 : 900}
        striped
        highlightOnHover
        columns={['Tenant', 'Plan', 'Status', 'Access', 'Monthly', 'Since', 'Period ends', canEdit && 'Actions']}
        paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
      >
        {(s) => (
          <Table.Tr key={s.tenantId}>
            <Table.Td>
              <Anchor component={Link} to={`/tenants?q=${encodeURIComponent(s.tenantName)}`} size="sm" fw={500}>
                {s.tenantName}
              </Anchor>
              <Text size="xs" c="dimmed">
                {s.provider === 'stripe' ? `Stripe${s.customerId ? ` · ${s.customerId}` : ''}` : 'Manual'}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm" ff="monospace">
                {s.planCode}
              </Text>
              {s.quantity > 1 && (
                <Text size="xs" c="dimmed">
                  {s.quantity} users
                </Text>
              )}
            </Table.Td>
            <Table.Td>
              <SubscriptionStatusBadge status={s.status} />
            </Table.Td>
            <Table.Td>
              <AccessBadge access={s.access} />
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatMoney(s.monthlyAmount, s.currency)}</Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>
              <span title={formatDateTime(s.statusSince)}>{formatDate(s.statusSince)}</span>
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(s.currentPeriodEnd)}</Table.Td>
            {canEdit && (
              <Table.Td>
                {s.provider === 'manual' ? (
                  <ManualBillingActions tenant={{ id: s.tenantId, name: s.tenantName }} />
                ) : (
                  <Text size="xs" c="dimmed">
                    Managed in Stripe
                  </Text>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        )}
      </QueryTable>
    </>
  );
}
