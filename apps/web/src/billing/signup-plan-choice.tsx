import { Anchor, Group, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { usePublicPlans } from './billing.queries';
import { priceFor, priceLabel } from './billing-format';
import { type ChosenPlan, chosenPlanFrom, rememberChosenPlan } from './chosen-plan';

/**
 * The plan picked on the pricing page (`?plan=&interval=`), shown on the sign-up and changeable there.
 * The choice stays in the address (the login link after sign-up keeps it) and in this browser, so the
 * billing page can offer to complete it once the account is confirmed.
 */
export function SignupPlanChoice() {
  const [search, setSearch] = useSearchParams();
  const choice = chosenPlanFrom(search.toString());
  const plans = usePublicPlans();

  const plan = choice?.plan;
  const interval = choice?.interval;
  useEffect(() => {
    if (plan && interval) rememberChosenPlan({ plan, interval });
  }, [plan, interval]);

  if (!choice) {
    return (
      <Text size="sm" c="dimmed">
        Plans and prices:{' '}
        <Anchor component={Link} to="/pricing" underline="always">
          see pricing
        </Anchor>
      </Text>
    );
  }

  const change = (next: ChosenPlan) => {
    const params = new URLSearchParams(search);
    params.set('plan', next.plan);
    params.set('interval', next.interval);
    // After confirming and logging in, land where the subscription is completed.
    params.set('next', '/billing');
    setSearch(params, { replace: true });
  };
  const selected = plans.data?.find((p) => p.code === choice.plan);
  return (
    <Stack gap={6}>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <Select
          label="Plan"
          style={{ flexGrow: 1 }}
          allowDeselect={false}
          data={(plans.data ?? []).map((p) => ({ value: p.code, label: p.name }))}
          value={choice.plan}
          onChange={(code) => code && change({ plan: code, interval: choice.interval })}
        />
        <SegmentedControl
          aria-label="Billing period"
          value={choice.interval}
          onChange={(v) => change({ plan: choice.plan, interval: v === 'year' ? 'year' : 'month' })}
          data={[
            { value: 'month', label: 'Monthly' },
            { value: 'year', label: 'Yearly' },
          ]}
        />
      </Group>
      {selected && (
        <Text size="sm" c="dimmed">
          {priceLabel(selected, priceFor(selected, choice.interval))}
          {selected.trialDays > 0 && selected.prices.length > 0 ? ` · ${selected.trialDays}-day free trial` : ''}. You pay after confirming
          your email.
        </Text>
      )}
    </Stack>
  );
}
