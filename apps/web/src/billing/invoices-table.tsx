import { Anchor, Badge, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { DataTable, EmptyState, formatDate, QueryView } from '@saas/ui';
import type { UseQueryResult } from '@tanstack/react-query';
import type { Invoice } from './billing.queries';
import { formatMoney } from './billing-format';

const STATUS: Record<Invoice['status'], { label: string; color: string }> = {
  draft: { label: 'Draft', color: 'gray.7' },
  open: { label: 'Open', color: 'orange.9' },
  paid: { label: 'Paid', color: 'teal.9' },
  uncollectible: { label: 'Uncollectible', color: 'red.9' },
  void: { label: 'Void', color: 'gray.7' },
};

/** The tenant's invoices, newest first, with the provider's hosted page and PDF when there are. */
export function InvoicesTable({ invoices }: { invoices: UseQueryResult<Invoice[]> }) {
  return (
    <QueryView
      query={invoices}
      loadingLabel="Loading invoices…"
      keepDataOnError
      empty={<EmptyState title="No invoices yet" description="Invoices appear here once the first period is billed." />}
    >
      {(list) => (
        <DataTable label="Invoices" minWidth={640} columns={['Number', 'Date', 'Amount', 'Status', { label: 'Links', hidden: true }]}>
          {list.map((invoice) => {
            const status = STATUS[invoice.status];
            const failed = invoice.status === 'open' && invoice.paymentFailedAt;
            return (
              <Table.Tr key={invoice.id}>
                <Table.Td>{invoice.number ?? '—'}</Table.Td>
                <Table.Td>{formatDate(invoice.periodStart ?? invoice.createdAt)}</Table.Td>
                <Table.Td>{formatMoney(invoice.status === 'paid' ? invoice.amountPaid : invoice.amountDue, invoice.currency)}</Table.Td>
                <Table.Td>
                  <Badge color={failed ? 'red.9' : status.color} styles={{ root: { textTransform: 'none' } }}>
                    {failed ? 'Payment failed' : status.label}
                  </Badge>
                  {invoice.note && (
                    <Text size="xs" c="dimmed">
                      {invoice.note}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap="sm" wrap="nowrap">
                    {invoice.hostedUrl && (
                      <Anchor href={invoice.hostedUrl} target="_blank" rel="noopener noreferrer" size="sm">
                        View
                        <VisuallyHidden> invoice {invoice.number ?? ''} (new tab)</VisuallyHidden>
                      </Anchor>
                    )}
                    {invoice.pdfUrl && (
                      <Anchor href={invoice.pdfUrl} target="_blank" rel="noopener noreferrer" size="sm">
                        PDF
                        <VisuallyHidden> of invoice {invoice.number ?? ''} (new tab)</VisuallyHidden>
                      </Anchor>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </DataTable>
      )}
    </QueryView>
  );
}
