import { Alert, Anchor, Stack, Text } from '@mantine/core';
import { formatRelative } from '@saas/ui';
import { Link, useLocation } from 'react-router';
import { useCurrentTenant } from '../tenants/current-tenant';
import { type BillingNotice, useBilling } from './billing.queries';
import { isPending, readChosenPlan } from './chosen-plan';

const LOOK: Record<BillingNotice['kind'], { title: string; color: string; action: string }> = {
  'trial-ending': { title: 'Trial ending', color: 'blue', action: 'Choose how to pay' },
  'past-due': { title: 'Payment overdue', color: 'orange', action: 'Update payment' },
  suspended: { title: 'Instances suspended', color: 'red', action: 'Pay to resume' },
  canceled: { title: 'Subscription canceled', color: 'gray', action: 'Subscribe again' },
  'subscription-required': { title: 'Subscription required', color: 'indigo', action: 'Choose a plan' },
  // Lifted by the operator only: no billing action to offer.
  'operator-suspended': { title: 'Organization suspended by the operator', color: 'red', action: '' },
};

/**
 * The current organization's billing notices (trial ending, overdue, suspended…), on every page. The
 * API's message names the date; the banner adds how near it is. Owners and admins get a link to act
 * on them; members only read them.
 */
export function BillingBanners() {
  const { tenant } = useCurrentTenant();
  const billing = useBilling(tenant?.id);
  const { pathname } = useLocation();
  const notices = billing.data?.notices ?? [];
  const canManage = tenant?.role === 'owner' || tenant?.role === 'admin';
  const onBillingPage = pathname === '/billing';
  // A plan chosen on the pricing page before signing up; the billing page itself shows how to complete it.
  const chosen = readChosenPlan();
  const choicePending = Boolean(canManage && !onBillingPage && chosen && billing.data && isPending(chosen, billing.data));
  if (!tenant || (notices.length === 0 && !choicePending)) return null;

  return (
    <Stack gap="xs" mb="md" component="section" aria-label="Billing notices">
      {choicePending && (
        <Alert color="indigo" title="Complete your subscription" variant="light" role="status">
          <Text size="sm">
            You chose a plan when signing up.{' '}
            <Anchor component={Link} to="/billing" size="sm" fw={600} underline="always">
              Continue to payment
            </Anchor>
          </Text>
        </Alert>
      )}
      {notices.map((notice) => {
        const look = LOOK[notice.kind];
        return (
          <Alert key={notice.kind} color={look.color} title={look.title} variant="light" role="status">
            <Text size="sm">
              {notice.message}
              {notice.deadline && ` (${formatRelative(notice.deadline)})`}{' '}
              {canManage && !onBillingPage && look.action && (
                <Anchor component={Link} to="/billing" size="sm" fw={600} underline="always">
                  {look.action}
                </Anchor>
              )}
              {!canManage && look.action && 'The organization’s owner or an admin can settle it.'}
            </Text>
          </Alert>
        );
      })}
    </Stack>
  );
}
