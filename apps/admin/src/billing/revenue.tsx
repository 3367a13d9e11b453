import { Card, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { DataTable, EmptyState, formatDate, QueryView } from '@saas/ui';
import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type Revenue, useRevenue } from './billing.queries';
import { formatMoney, toMajor } from './money';

const RANGES = ['30', '90', '365'] as const;
type Point = Revenue['points'][number];

// Mantine's darkest shades: lines stay readable against the white chart and apart from each other.
const MRR_COLOR = 'var(--mantine-color-indigo-8)';
const ARR_COLOR = 'var(--mantine-color-teal-9)';
const CHURN_COLOR = 'var(--mantine-color-red-9)';
const AXIS_TEXT = { fill: 'var(--mantine-color-gray-8)', fontSize: 12 };

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayLabel = (day: string) => shortDay.format(new Date(`${day}T00:00:00Z`));

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card withBorder padding="lg">
      <Text size="sm" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={28} fw={700}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

function RecurringChart({ points, currency, title }: { points: Point[]; currency: string; title: string }) {
  const data = points.map((p) => ({ day: p.day, MRR: p.mrr, ARR: p.arr }));
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart data={data} title={title} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--mantine-color-gray-3)" />
        <XAxis dataKey="day" tickFormatter={dayLabel} tick={AXIS_TEXT} minTickGap={24} />
        {/* Minor units plotted, major units shown: the axis reads "1.2K", not "120K". */}
        <YAxis tickFormatter={(v: number) => compact.format(toMajor(v, currency))} tick={AXIS_TEXT} width={56} />
        <Tooltip labelFormatter={(day) => formatDate(String(day))} formatter={(v) => formatMoney(Number(v), currency)} />
        <Legend />
        <Line type="monotone" dataKey="MRR" stroke={MRR_COLOR} strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="ARR" stroke={ARR_COLOR} strokeWidth={2} dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

function ChurnChart({ points, title }: { points: Point[]; title: string }) {
  return (
    <ResponsiveContainer width="100%" height={220}>
      <LineChart data={points} title={title} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--mantine-color-gray-3)" />
        <XAxis dataKey="day" tickFormatter={dayLabel} tick={AXIS_TEXT} minTickGap={24} />
        {/* Without churn the axis would otherwise run to 400%. */}
        <YAxis
          tickFormatter={(v: number) => percent.format(v)}
          tick={AXIS_TEXT}
          width={56}
          domain={[0, (max: number) => Math.max(max, 0.1)]}
        />
        <Tooltip labelFormatter={(day) => formatDate(String(day))} formatter={(v) => percent.format(Number(v))} />
        <Line
          type="monotone"
          dataKey="churnRate"
          name="Churn rate (30 days)"
          stroke={CHURN_COLOR}
          strokeWidth={2}
          dot={false}
          isAnimationActive={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}

/** The same numbers as a table, for screen readers and for reading exact values. */
function PointsTable({ points, currency }: { points: Point[]; currency: string }) {
  return (
    <details>
      <summary>
        <Text span size="sm">
          Show the numbers as a table
        </Text>
      </summary>
      <DataTable label="Revenue by day" minWidth={560} striped columns={['Day', 'MRR', 'ARR', 'Paying', 'Churned', 'Churn rate']}>
        {[...points].reverse().map((p) => (
          <Table.Tr key={p.day}>
            <Table.Td>{formatDate(p.day)}</Table.Td>
            <Table.Td>{formatMoney(p.mrr, currency)}</Table.Td>
            <Table.Td>{formatMoney(p.arr, currency)}</Table.Td>
            <Table.Td>{p.subscriptions}</Table.Td>
            <Table.Td>{p.churned}</Table.Td>
            <Table.Td>{percent.format(p.churnRate)}</Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
    </details>
  );
}

/** Recurring revenue and churn over the chosen window, from the subscription changes the platform recorded. */
export function RevenueTab() {
  const [days, setDays] = useState<(typeof RANGES)[number]>('90');
  const revenue = useRevenue(Number(days));

  return (
    <Stack gap="lg">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          Monthly recurring revenue counts active and past-due subscriptions, yearly prices divided by twelve. Churn is the share of paying
          subscriptions that ended over the 30 days before each day.
        </Text>
        <SegmentedControl
          aria-label="Time range"
          value={days}
          onChange={(v) => setDays(v as typeof days)}
          data={RANGES.map((d) => ({ value: d, label: `${d} days` }))}
        />
      </Group>
      <QueryView
        query={revenue}
        loadingLabel="Loading revenue…"
        keepDataOnError
        isEmpty={(data) => data.points.length === 0}
        empty={<EmptyState title="No revenue yet" description="No subscription has been paid for in this period." />}
      >
        {({ currency, points }) => {
          const today = points[points.length - 1];
          return (
            <Stack gap="lg" aria-busy={revenue.isFetching}>
              {today && (
                <SimpleGrid cols={{ base: 1, sm: 3 }}>
                  <Figure label="MRR" value={formatMoney(today.mrr, currency)} hint="Monthly recurring revenue today" />
                  <Figure label="ARR" value={formatMoney(today.arr, currency)} hint="MRR × 12" />
                  <Figure label="Paying subscriptions" value={today.subscriptions.toLocaleString()} hint="Active or past due" />
                </SimpleGrid>
              )}
              <Paper withBorder p="md" component="section" aria-labelledby="recurring-heading">
                <Title order={3} size="h4" id="recurring-heading" mb="sm">
                  MRR and ARR
                </Title>
                <RecurringChart points={points} currency={currency} title={`MRR and ARR over the last ${days} days`} />
              </Paper>
              <Paper withBorder p="md" component="section" aria-labelledby="churn-heading">
                <Title order={3} size="h4" id="churn-heading" mb="sm">
                  Churn rate
                </Title>
                <ChurnChart points={points} title={`Churn rate over the last ${days} days`} />
              </Paper>
              <PointsTable points={points} currency={currency} />
            </Stack>
          );
        }}
      </QueryView>
    </Stack>
  );
}
