import { Anchor, Button, Select, Table, Text } from '@mantine/core';
import { EmptyState, formatDate, formatDateTime, QueryTable } from '@saas/ui';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { useUrlParams } from '../shared/url-params';
import { ManualBillingActions } from '../tenants/manual-billing-actions';
import { useSubscriptions } from './billing.queries';
import { AccessBadge, type SubscriptionStatus, SubscriptionStatusBadge, subscriptionStatusLabels } from './billing-badges';
import { formatMoney } from './money';

const ALL = 'all';
const statusOptions = [
  { value: ALL, label: 'All statuses' },
  ...Object.entries(subscriptionStatusLabels).map(([value, label]) => ({ value, label })),
];
const isStatus = (v: string | null): v is SubscriptionStatus => v !== null && v in subscriptionStatusLabels;

/** Every tenant's subscription, filtered by status on the server; manual ones can be changed from here. */
export function SubscriptionsTab() {
  const { params, offset, update, setOffset } = useUrlParams();
  const raw = params.get('status');
  const status = isStatus(raw) ? raw : undefined;
  const subscriptions = useSubscriptions({ status, limit: PAGE_SIZE, offset });
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <Select
        label="Status"
        data={statusOptions}
        value={status ?? ALL}
        allowDeselect={false}
        onChange={(v) => update({ status: v && v !== ALL ? v : '', offset: '' })}
        w={220}
        mb="md"
      />
      <QueryTable
        query={subscriptions}
        keepDataOnError
        empty={
          <EmptyState
            title="No subscriptions"
            description={status ? `No subscription is ${subscriptionStatusLabels[status].toLowerCase()}.` : 'No tenant has signed up yet.'}
            action={
              status && (
                <Button variant="default" size="xs" onClick={() => update({ status: '', offset: '' })}>
                  Show all statuses
                </Button>
              )
            }
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
