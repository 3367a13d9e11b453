import { Badge, Button, Card, Group, List, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { EmptyState, QueryView } from '@saas/ui';
import { type Interval, type PublicPlan, usePublicPlans } from './billing.queries';
import { formatMoney, isFree, planFeatures, priceFor, priceLabel } from './billing-format';

export interface PlanPickerProps {
  interval: Interval;
  onIntervalChange: (interval: Interval) => void;
  onChoose: (plan: PublicPlan, interval: Interval) => void;
  /** The tenant's plan (and interval), marked and not offered again. */
  current?: { code: string; interval: Interval | null };
  /** The plan whose choice is in flight (its button spins, the others wait). */
  pending?: string | null;
  /** Heading level of each plan's name, under the page's own headings. */
  headingOrder?: 2 | 3;
}

/** Monthly/yearly toggle and one card per public plan, each with its price, trial and what it allows. */
export function PlanPicker(props: PlanPickerProps) {
  const plans = usePublicPlans();
  return (
    <Stack gap="md">
      <SegmentedControl
        aria-label="Billing period"
        w="fit-content"
        value={props.interval}
        onChange={(v) => props.onIntervalChange(v === 'year' ? 'year' : 'month')}
        data={[
          { value: 'month', label: 'Monthly' },
          { value: 'year', label: 'Yearly' },
        ]}
      />
      <QueryView query={plans} loadingLabel="Loading plans…" empty={<EmptyState title="No plans on offer yet" />}>
        {(list) => (
          <SimpleGrid cols={{ base: 1, sm: 2, lg: Math.min(list.length, 3) }}>
            {list.map((plan) => (
              <PlanCard key={plan.code} plan={plan} {...props} />
            ))}
          </SimpleGrid>
        )}
      </QueryView>
    </Stack>
  );
}

function PlanCard({ plan, interval, onChoose, current, pending, headingOrder = 2 }: PlanPickerProps & { plan: PublicPlan }) {
  const price = priceFor(plan, interval);
  // A paid plan not sold for this interval cannot be chosen for it.
  const unavailable = !isFree(plan) && !price;
  const isCurrent = current?.code === plan.code && (isFree(plan) || current.interval === null || current.interval === interval);
  const titleId = `plan-${plan.code}`;
  const monthlyOfYear = interval === 'year' && price ? formatMoney(Math.round(price.unitAmount / 12), price.currency) : null;
  return (
    <Card withBorder padding="lg" component="article" aria-labelledby={titleId}>
      <Stack gap="sm" h="100%">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Title order={headingOrder} size="h3" id={titleId}>
            {plan.name}
          </Title>
          {isCurrent && (
            <Badge color="teal.9" styles={{ root: { textTransform: 'none' } }}>
              Current plan
            </Badge>
          )}
        </Group>
        {plan.description && (
          <Text size="sm" c="dimmed">
            {plan.description}
          </Text>
        )}
        <div>
          <Text fw={700} size="xl">
            {unavailable ? `Not offered ${interval === 'year' ? 'yearly' : 'monthly'}` : priceLabel(plan, price)}
          </Text>
          {monthlyOfYear && (
            <Text size="xs" c="dimmed">
              {monthlyOfYear} {plan.perUser ? 'per user ' : ''}a month, billed yearly
            </Text>
          )}
          {plan.trialDays > 0 && !isFree(plan) && (
            <Text size="sm" c="teal.9">
              {plan.trialDays}-day free trial
            </Text>
          )}
        </div>
        <List size="sm" spacing={4} style={{ flexGrow: 1 }}>
          {planFeatures(plan).map((feature) => (
            <List.Item key={feature}>{feature}</List.Item>
          ))}
        </List>
        <Button
          onClick={() => onChoose(plan, interval)}
          disabled={isCurrent || unavailable || Boolean(pending && pending !== plan.code)}
          loading={pending === plan.code}
        >
          {isCurrent ? 'Your plan' : `Choose ${plan.name}`}
        </Button>
      </Stack>
    </Card>
  );
}
