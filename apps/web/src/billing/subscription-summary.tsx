import { Badge, DataList, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { formatDate } from '@saas/ui';
import type { Billing } from './billing.queries';
import { formatMoney, priceLabel, STATUS_LABELS } from './billing-format';

const PAYMENT: Record<Billing['access'], string> = {
  full: 'In good standing',
  grace: 'Payment overdue: update your payment method to avoid suspension',
  suspended: 'Suspended for non-payment: your instances are stopped until it is settled',
  deleted: 'Closed: the retention period has ended',
};

/** Plan, status, quantity, next invoice and payment state of the tenant's subscription. */
export function SubscriptionSummary({ billing }: { billing: Billing }) {
  const narrow = useMediaQuery('(max-width: 30em)');
  const status = STATUS_LABELS[billing.status];
  return (
    <DataList orientation={narrow ? 'vertical' : 'horizontal'} labelWidth={150}>
      <DataList.Item>
        <DataList.ItemLabel>Plan</DataList.ItemLabel>
        <DataList.ItemValue>
          <Text span fw={600}>
            {billing.plan.name}
          </Text>{' '}
          · {priceLabel(billing.plan, billing.price)}
        </DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Status</DataList.ItemLabel>
        <DataList.ItemValue>
          <Badge color={status.color} styles={{ root: { textTransform: 'none' } }}>
            {status.label}
          </Badge>{' '}
          <StatusDetail billing={billing} />
        </DataList.ItemValue>
      </DataList.Item>
      {billing.plan.perUser && (
        <DataList.Item>
          <DataList.ItemLabel>Users billed</DataList.ItemLabel>
          <DataList.ItemValue>{billing.quantity} (active internal Odoo users, counted daily)</DataList.ItemValue>
        </DataList.Item>
      )}
      <DataList.Item>
        <DataList.ItemLabel>Next invoice</DataList.ItemLabel>
        <DataList.ItemValue>
          {billing.nextInvoice
            ? `${formatMoney(billing.nextInvoice.amount, billing.nextInvoice.currency)}${billing.nextInvoice.at ? ` on ${formatDate(billing.nextInvoice.at)}` : ''}`
            : '—'}
        </DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Payment</DataList.ItemLabel>
        <DataList.ItemValue>{PAYMENT[billing.access]}</DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Paid through</DataList.ItemLabel>
        <DataList.ItemValue>
          {billing.provider === 'stripe' ? 'Card or bank payment (Stripe)' : 'Invoice, arranged with us'}
        </DataList.ItemValue>
      </DataList.Item>
    </DataList>
  );
}

function StatusDetail({ billing }: { billing: Billing }) {
  if (billing.status === 'trialing' && billing.trialEndsAt) return <>until {formatDate(billing.trialEndsAt)}</>;
  if (!billing.currentPeriodEnd) return null;
  if (billing.cancelAtPeriodEnd) return <>ends on {formatDate(billing.currentPeriodEnd)}</>;
  if (billing.status === 'active') return <>renews on {formatDate(billing.currentPeriodEnd)}</>;
  return null;
}
