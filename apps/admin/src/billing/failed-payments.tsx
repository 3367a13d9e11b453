import { Anchor, Table, Text, VisuallyHidden } from '@mantine/core';
import { EmptyState, formatDate, formatDateTime, formatRelative, QueryTable } from '@saas/ui';
import { useState } from 'react';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { useInvoices } from './billing.queries';
import { InvoiceStatusBadge } from './billing-badges';
import { formatMoney } from './money';

/** Invoices whose last payment attempt failed, newest first: who to chase. */
export function FailedPaymentsTab() {
  const [offset, setOffset] = useState(0);
  const invoices = useInvoices({ failed: 'true', limit: PAGE_SIZE, offset });

  return (
    <QueryTable
      query={invoices}
      keepDataOnError
      empty={<EmptyState title="No failed payments" description="Every invoice was paid or is still open without a failed attempt." />}
      label="Failed payments"
      minWidth={880}
      striped
      columns={['Tenant', 'Invoice', 'Status', 'Amount due', 'Period', 'Failed']}
      paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
    >
      {(i) => (
        <Table.Tr key={i.id}>
          <Table.Td>
            <Anchor component={Link} to={`/tenants?q=${encodeURIComponent(i.tenantName)}`} size="sm" fw={500}>
              {i.tenantName}
            </Anchor>
          </Table.Td>
          <Table.Td>
            {i.hostedUrl ? (
              <Anchor href={i.hostedUrl} target="_blank" rel="noopener noreferrer" size="sm" ff="monospace">
                {i.number ?? 'View invoice'}
                <VisuallyHidden> (opens in a new tab)</VisuallyHidden>
              </Anchor>
            ) : (
              <Text size="sm" ff="monospace">
                {i.number ?? '—'}
              </Text>
            )}
            {i.note && (
              <Text size="xs" c="dimmed">
                {i.note}
              </Text>
            )}
          </Table.Td>
          <Table.Td>
            <InvoiceStatusBadge status={i.status} />
          </Table.Td>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatMoney(i.amountDue - i.amountPaid, i.currency)}</Table.Td>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>
            {i.periodStart ? `${formatDate(i.periodStart)} – ${formatDate(i.periodEnd)}` : '—'}
          </Table.Td>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>
            <Text size="sm">{formatDateTime(i.paymentFailedAt)}</Text>
            <Text size="xs" c="dimmed">
              {formatRelative(i.paymentFailedAt)}
            </Text>
          </Table.Td>
        </Table.Tr>
      )}
    </QueryTable>
  );
}
