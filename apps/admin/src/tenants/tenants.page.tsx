import { Anchor, Badge, Button, Group, Paper, Select, Table, Text } from '@mantine/core';
import { EmptyState, formatDate, PageTitle, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { Link } from 'react-router';
import { useIsPlatformAdmin } from '../app-layout';
import { SubscriptionStatusBadge } from '../billing/billing-badges';
import { PAGE_SIZE } from '../config';
import { usePlans } from '../plans/plans.queries';
import { useUrlParams } from '../shared/url-params';
import { ChangePlanButton } from './change-plan-button';
import { ManualBillingActions } from './manual-billing-actions';
import { type AdminTenant, type AdminTenantsQuery, useAdminTenants } from './tenants.queries';

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

const ALL = 'all';
const accessOptions = [
  { value: ALL, label: 'Any access' },
  { value: 'full', label: 'Full' },
  { value: 'grace', label: 'Grace (past due)' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'deleted', label: 'Deleted' },
];
const suspendedOptions = [
  { value: ALL, label: 'Either' },
  { value: 'true', label: 'Suspended by an operator' },
  { value: 'false', label: 'Not suspended by an operator' },
];
// Deleted tenants are hidden unless asked for (the API's `deleted=true` lists only them).
const deletedOptions = [
  { value: ALL, label: 'Tenants in use' },
  { value: 'true', label: 'Deleted tenants' },
];
type Sort = NonNullable<AdminTenantsQuery['sort']>;
type Order = NonNullable<AdminTenantsQuery['order']>;
const sortOptions: { value: string; label: string; sort: Sort; order: Order }[] = [
  { value: 'created-desc', label: 'Newest first', sort: 'created', order: 'desc' },
  { value: 'created-asc', label: 'Oldest first', sort: 'created', order: 'asc' },
  { value: 'name-asc', label: 'Name A–Z', sort: 'name', order: 'asc' },
  { value: 'name-desc', label: 'Name Z–A', sort: 'name', order: 'desc' },
  { value: 'members-desc', label: 'Most members first', sort: 'members', order: 'desc' },
];
const ACCESS = ['full', 'grace', 'suspended', 'deleted'] as const;
const pick = <T extends string>(value: string | null, allowed: readonly T[]): T | undefined =>
  allowed.includes(value as T) ? (value as T) : undefined;

/** The URL's filters as the API's query (unknown values are ignored). */
function queryFrom(params: URLSearchParams, q: string | undefined, offset: number): AdminTenantsQuery {
  const sort = sortOptions.find((o) => o.value === params.get('sort')) ?? sortOptions[0];
  const suspended = pick(params.get('suspended'), ['true', 'false'] as const);
  const deleted = pick(params.get('deleted'), ['true'] as const);
  return {
    q,
    plan: params.get('plan') || undefined,
    access: pick(params.get('access'), ACCESS),
    ...(suspended ? { suspended } : {}),
    ...(deleted ? { deleted } : {}),
    sort: sort?.sort,
    order: sort?.order,
    limit: PAGE_SIZE,
    offset,
  };
}

// Search, filters, sort and page live in the URL: the billing lists link here with ?q=<tenant name>.
export function TenantsPage() {
  const { params, offset, update, setOffset } = useUrlParams();
  const text = params.get('q') ?? '';
  const q = useSearchTerm(text);
  const tenants = useAdminTenants(queryFrom(params, q, offset));
  const plans = usePlans();
  const canEdit = useIsPlatformAdmin();
  const filtered = Boolean(text || params.get('plan') || params.get('access') || params.get('suspended') || params.get('deleted'));
  const select = (key: string) => ({
    value: params.get(key) ?? ALL,
    allowDeselect: false,
    onChange: (v: string | null) => update({ [key]: v && v !== ALL ? v : '', offset: '' }),
    w: 200,
  });
  const planOptions = [{ value: ALL, label: 'Any plan' }, ...(plans.data ?? []).map((p) => ({ value: p.code, label: p.name }))];

  return (
    <>
      <PageTitle>Tenants</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" mb="md" wrap="wrap">
          <SearchField
            label="Search tenants"
            placeholder="Name or owner email"
            value={text}
            onChange={(v) => update({ q: v, offset: '' })}
            w={260}
          />
          <Select label="Plan" data={planOptions} {...select('plan')} />
          <Select label="Billing access" data={accessOptions} {...select('access')} />
          <Select label="Operator suspension" data={suspendedOptions} {...select('suspended')} w={240} />
          <Select label="Deleted" data={deletedOptions} {...select('deleted')} />
          <Select label="Sort" data={sortOptions} {...select('sort')} value={params.get('sort') ?? 'created-desc'} w={220} />
          {filtered && (
            <Button variant="default" onClick={() => update({ q: '', plan: '', access: '', suspended: '', deleted: '', offset: '' })}>
              Clear filters
            </Button>
          )}
        </Group>
        <QueryTable
          query={tenants}
          empty={<EmptyState title="No tenants found" description={filtered ? 'No tenant matches these filters.' : undefined} />}
          label="Tenants"
          minWidth={canEdit ? 1180 : 820}
          striped
          highlightOnHover
          columns={['Name', 'Owner', 'Members', 'Created', 'Subscription', 'Audit', canEdit && 'Actions']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(t) => (
            <Table.Tr key={t.id}>
              <Table.Td>
                <Anchor component={Link} to={`/tenants/${t.id}`} size="sm" fw={500}>
                  {t.name}
                </Anchor>
                <Text size="xs" c="dimmed" ff="monospace">
                  {t.id}
                </Text>
                {t.operatorSuspendedAt && (
                  <Badge color="red" variant="light" size="sm">
                    Suspended by operator
                  </Badge>
                )}
                {t.deletedAt && (
                  <Badge color="gray" variant="light" size="sm">
                    Deleted {formatDate(t.deletedAt)}
                  </Badge>
                )}
              </Table.Td>
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
                  {/* A deleted tenant has nothing left to change. */}
                  {!t.deletedAt && (
                    <Group gap="xs" wrap="nowrap">
                      <ChangePlanButton tenant={t} />
                      {/* Stripe tenants change state through Stripe (checkout, portal, webhooks), never by hand. */}
                      {t.billing?.provider === 'manual' && <ManualBillingActions tenant={t} />}
                    </Group>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </>
  );
}
