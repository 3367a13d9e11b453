import { List, Stack, Text } from '@mantine/core';
import { formatMoney } from '../billing/money';
import type { PlanPrice } from './plans.queries';

const per = { month: 'month', year: 'year' } as const;
const priceText = (p: PlanPrice) => `${formatMoney(p.unitAmount, p.currency)} / ${per[p.interval]}`;

/** The plan's current prices for the table: "€29.00 / month", or "Free". */
export function ActivePrices({ prices, perUser }: { prices: PlanPrice[]; perUser: boolean }) {
  const active = prices.filter((p) => p.active).sort((a, b) => a.interval.localeCompare(b.interval));
  if (active.length === 0) return <Text size="sm">Free</Text>;
  return (
    <Stack gap={0}>
      {active.map((p) => (
        <Text key={p.id} size="sm" style={{ whiteSpace: 'nowrap' }}>
          {priceText(p)}
          {perUser && ' per user'}
        </Text>
      ))}
    </Stack>
  );
}

/** Prices replaced by newer ones: tenants who subscribed at them still pay them. `titled`: with its own heading. */
export function EarlierPrices({ prices, titled = true }: { prices: PlanPrice[]; titled?: boolean }) {
  const old = prices.filter((p) => !p.active);
  if (old.length === 0) return null;
  return (
    <Stack gap={4}>
      {titled && (
        <Text size="sm" fw={500}>
          Earlier prices (existing subscribers may still pay them)
        </Text>
      )}
      <List size="sm" spacing={2}>
        {old.map((p) => (
          <List.Item key={p.id}>
            {priceText(p)}
            {p.providerPriceId && (
              <Text span size="xs" c="dimmed" ff="monospace">
                {' '}
                · {p.providerPriceId}
              </Text>
            )}
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}
