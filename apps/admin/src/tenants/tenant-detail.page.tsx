import { Anchor, Badge, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { EmptyState, formatDate, PageTitle, QueryView } from '@saas/ui';
import { Link, useParams } from 'react-router';
import { AuditTrail } from '../audit/audit-trail';
import { AccessBadge, InvoiceStatusBadge, SubscriptionStatusBadge } from '../billing/billing-badges';
import { formatMoney } from '../billing/money';
import { InstanceStatusBadge } from '../instances/instance-status-badge';
import { Fact, Section, SmallTable, UUID } from '../shared/detail-parts';
import { TenantDeletion } from './tenant-deletion';
import { TenantSuspension } from './tenant-suspension';
import { type AdminTenantDetail, useAdminTenant } from './tenants.queries';

function TenantDetail({ tenant }: { tenant: AdminTenantDetail }) {
  const sub = tenant.subscription;
  return (
    <Stack>
      <PageTitle>{tenant.name}</PageTitle>
      <Section title="Tenant">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }} spacing="md" mb="md">
          <Fact label="Plan">{tenant.planCode}</Fact>
          <Fact label="Created">{formatDate(tenant.createdAt)}</Fact>
          <Fact label="State">
            {tenant.deletion ? (
              <Badge color="gray" variant="light">
                deleted
              </Badge>
            ) : tenant.operatorSuspension ? (
              <Badge color="red" variant="light">
                suspended
              </Badge>
            ) : (
              <Badge color="teal" variant="light">
                active
              </Badge>
            )}
          </Fact>
          <Fact label="Members">{tenant.members.length}</Fact>
          <Fact label="Id">
            <Text size="xs" ff="monospace">
              {tenant.id}
            </Text>
          </Fact>
        </SimpleGrid>
        <TenantSuspension tenant={tenant} />
        <TenantDeletion tenant={tenant} />
      </Section>
      <Section title="Instances">
        {tenant.instances.length === 0 ? (
          <EmptyState title="No instances" description="This tenant has no Odoo instance." />
        ) : (
          <SmallTable label="Instances of the tenant" columns={['Instance', 'Status', 'Version', 'Created']} minWidth={560}>
            {tenant.instances.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/instances/${i.id}`} size="sm" fw={500}>
                    {i.slug}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {i.name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <InstanceStatusBadge instance={i} />
                    {i.suspended && (
                      <Badge color="red" variant="outline">
                        suspended
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{i.version}</Table.Td>
                <Table.Td>{formatDate(i.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </SmallTable>
        )}
      </Section>
      <Section title="Members">
        <SmallTable label="Members of the tenant" columns={['Member', 'Role', 'Joined']} minWidth={480}>
          {tenant.members.map((m) => (
            <Table.Tr key={m.userId}>
              <Table.Td>
                <Anchor component={Link} to={`/users/${m.userId}`} size="sm">
                  {m.email}
                </Anchor>
                {m.name && (
                  <Text size="xs" c="dimmed">
                    {m.name}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{m.role}</Table.Td>
              <Table.Td>{formatDate(m.joinedAt)}</Table.Td>
            </Table.Tr>
          ))}
        </SmallTable>
      </Section>
      <Section title="Subscription">
        {sub ? (
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="md">
            <Fact label="Provider">{sub.provider === 'stripe' ? 'Stripe' : 'Manual'}</Fact>
            <Fact label="Status">
              <SubscriptionStatusBadge status={sub.status} />
            </Fact>
            <Fact label="Access">
              <AccessBadge access={sub.access} />
            </Fact>
            <Fact label="Period ends">
              {sub.currentPeriodEnd
                ? formatDate(sub.currentPeriodEnd)
                : sub.trialEndsAt
                  ? `trial ends ${formatDate(sub.trialEndsAt)}`
                  : '—'}
              {sub.cancelAtPeriodEnd && ' (canceled at the end)'}
            </Fact>
          </SimpleGrid>
        ) : (
          <Text size="sm">No billing account.</Text>
        )}
      </Section>
      <Section title="Invoices">
        {tenant.invoices.length === 0 ? (
          <EmptyState title="No invoices" description="No invoice was issued or recorded for this tenant." />
        ) : (
          <SmallTable label="Invoices of the tenant" columns={['Invoice', 'Status', 'Amount', 'Created']} minWidth={480}>
            {tenant.invoices.map((inv) => (
              <Table.Tr key={inv.id}>
                <Table.Td>
                  {inv.hostedUrl ? (
                    <Anchor href={inv.hostedUrl} target="_blank" rel="noopener noreferrer" size="sm">
                      {inv.number ?? inv.id.slice(0, 8)}
                    </Anchor>
                  ) : (
                    (inv.number ?? inv.id.slice(0, 8))
                  )}
                </Table.Td>
                <Table.Td>
                  <InvoiceStatusBadge status={inv.status} />
                </Table.Td>
                <Table.Td>{formatMoney(inv.amountDue, inv.currency)}</Table.Td>
                <Table.Td>{formatDate(inv.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </SmallTable>
        )}
      </Section>
      <Section title="Audit log">
        <AuditTrail
          filter={{ tenantId: tenant.id }}
          label="Audit log of the tenant"
          emptyDescription="Nothing has been recorded for this tenant yet."
        />
      </Section>
    </Stack>
  );
}

export function TenantDetailPage() {
  const { tenantId = '' } = useParams();
  if (!UUID.test(tenantId)) return <EmptyState title="Tenant not found" description="This address names no tenant." />;
  return <TenantDetailView tenantId={tenantId} />;
}

function TenantDetailView({ tenantId }: { tenantId: string }) {
  const tenant = useAdminTenant(tenantId);
  return (
    <QueryView query={tenant} loadingLabel="Loading the tenant…" empty={null} isEmpty={() => false}>
      {(detail) => <TenantDetail tenant={detail} />}
    </QueryView>
  );
}
