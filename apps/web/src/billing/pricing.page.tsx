import { Anchor, Button, Container, Group, Stack, Text, Title } from '@mantine/core';
import { notifyError, useSession } from '@saas/ui';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { PRODUCT_NAME } from '../config';
import { useCurrentTenant } from '../tenants/current-tenant';
import { type Interval, type PublicPlan, useBilling, useCheckout } from './billing.queries';
import { currentChoice } from './billing-format';
import { chosenPlanSearch, rememberChosenPlan } from './chosen-plan';
import { PlanPicker } from './plan-picker';

/**
 * The public pricing page. Logged out, a choice leads to the sign-up with the plan in the address;
 * logged in, it starts the checkout for the current organization.
 */
export function PricingPage() {
  const { status } = useSession();
  const { tenant } = useCurrentTenant();
  const navigate = useNavigate();
  const [interval, setInterval] = useState<Interval>('month');
  const checkout = useCheckout(tenant?.id ?? '');
  const billing = useBilling(status === 'authenticated' ? tenant?.id : undefined);
  const canManage = tenant?.role === 'owner' || tenant?.role === 'admin';

  function choose(plan: PublicPlan, chosenInterval: Interval) {
    const choice = { plan: plan.code, interval: chosenInterval };
    if (status !== 'authenticated' || !tenant) {
      rememberChosenPlan(choice);
      navigate(`/signup?${chosenPlanSearch(choice)}&next=/billing`);
      return;
    }
    if (!canManage) {
      notifyError(new Error('Only the owner or an admin of the organization can change its plan.'), 'Not allowed');
      return;
    }
    checkout.mutate({ planCode: plan.code, interval: chosenInterval });
  }

  return (
    <Container size="lg" py="xl" component="main" id="main-content">
      <Stack gap="lg">
        <Group justify="space-between">
          <Text component={Link} to="/" fw={700} size="lg" c="inherit" td="none">
            {PRODUCT_NAME}
          </Text>
          {status === 'authenticated' ? (
            <Button component={Link} to="/billing" variant="default">
              Your billing
            </Button>
          ) : (
            <Group gap="xs">
              <Button component={Link} to="/login" variant="default">
                Log in
              </Button>
              <Button component={Link} to="/signup">
                Sign up
              </Button>
            </Group>
          )}
        </Group>
        <div>
          <Title order={1} size="h2" tabIndex={-1}>
            Pricing
          </Title>
          <Text c="dimmed">
            Managed Odoo, hosted for you. Prices exclude taxes where they apply.{' '}
            {status !== 'authenticated' && (
              <>
                Already a customer?{' '}
                <Anchor component={Link} to="/login?next=/billing" underline="always">
                  Log in to change plan
                </Anchor>
                .
              </>
            )}
          </Text>
        </div>
        <PlanPicker
          interval={interval}
          onIntervalChange={setInterval}
          onChoose={choose}
          current={currentChoice(billing.data)}
          pending={checkout.isPending ? (checkout.variables?.planCode ?? null) : null}
        />
      </Stack>
    </Container>
  );
}
