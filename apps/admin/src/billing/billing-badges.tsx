import { Badge } from '@mantine/core';
import type { components } from '@saas/api-client';
import { badgeStyles } from '../shared/badge-styles';

type Schemas = components['schemas'];
export type SubscriptionStatus = Schemas['AdminSubscription']['status'];
export type AccessState = Schemas['AdminSubscription']['access'];
export type EventStatus = Schemas['BillingEvent']['status'];
export type InvoiceStatus = Schemas['AdminInvoice']['status'];

/**
 * Filled badges in the darkest shades keep white text above 4.5:1 (axe's color-contrast); the yellow one
 * gets dark text from autoContrast. The visible text is the whole name, so no aria-label is needed.
 */
type Look = 'ok' | 'info' | 'warn' | 'bad' | 'off';
const colors: Record<Look, string> = { ok: 'teal.9', info: 'blue.9', warn: 'yellow.5', bad: 'red.9', off: 'gray.7' };

function LookBadge({ look, children }: { look: Look; children: string }) {
  return (
    <Badge color={colors[look]} variant="filled" autoContrast styles={badgeStyles}>
      {children}
    </Badge>
  );
}

export const subscriptionStatusLabels: Record<SubscriptionStatus, string> = {
  none: 'No subscription',
  trialing: 'Trialing',
  active: 'Active',
  past_due: 'Past due',
  canceled: 'Canceled',
  unpaid: 'Unpaid',
  incomplete: 'Incomplete',
  incomplete_expired: 'Incomplete, expired',
  paused: 'Paused',
};
const subscriptionLooks: Record<SubscriptionStatus, Look> = {
  none: 'off',
  trialing: 'info',
  active: 'ok',
  past_due: 'warn',
  canceled: 'bad',
  unpaid: 'bad',
  incomplete: 'warn',
  incomplete_expired: 'off',
  paused: 'off',
};

export function SubscriptionStatusBadge({ status }: { status: SubscriptionStatus }) {
  return <LookBadge look={subscriptionLooks[status]}>{subscriptionStatusLabels[status]}</LookBadge>;
}

const accessLabels: Record<AccessState, [string, Look]> = {
  full: ['Full access', 'ok'],
  grace: ['Grace period', 'warn'],
  suspended: ['Suspended', 'bad'],
  deleted: ['Deleted', 'off'],
};

export function AccessBadge({ access }: { access: AccessState }) {
  const [label, look] = accessLabels[access];
  return <LookBadge look={look}>{label}</LookBadge>;
}

export const eventStatusLabels: Record<EventStatus, string> = {
  received: 'Received',
  processed: 'Processed',
  ignored: 'Ignored',
  failed: 'Failed',
};
const eventLooks: Record<EventStatus, Look> = { received: 'info', processed: 'ok', ignored: 'off', failed: 'bad' };

export function EventStatusBadge({ status }: { status: EventStatus }) {
  return <LookBadge look={eventLooks[status]}>{eventStatusLabels[status]}</LookBadge>;
}

const invoiceLooks: Record<InvoiceStatus, [string, Look]> = {
  draft: ['Draft', 'off'],
  open: ['Open', 'info'],
  paid: ['Paid', 'ok'],
  uncollectible: ['Uncollectible', 'bad'],
  void: ['Void', 'off'],
};

export function InvoiceStatusBadge({ status }: { status: InvoiceStatus }) {
  const [label, look] = invoiceLooks[status];
  return <LookBadge look={look}>{label}</LookBadge>;
}
