import { Paper, Stack, Text, Title, type TitleOrder } from '@mantine/core';
import { useId } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import {
  formatTick,
  formatTimeFull,
  formatTimeTick,
  formatValue,
  latestSummary,
  METRIC_RANGES,
  type MetricChart,
  type MetricRange,
} from './chart-format';

// Mantine's darkest shades: lines stay readable on white (contrast) and apart from each other.
const COLORS = [
  'var(--mantine-color-indigo-8)',
  'var(--mantine-color-teal-9)',
  'var(--mantine-color-red-9)',
  'var(--mantine-color-grape-8)',
  'var(--mantine-color-orange-9)',
  'var(--mantine-color-cyan-9)',
  'var(--mantine-color-lime-9)',
  'var(--mantine-color-pink-8)',
];
const AXIS_TEXT = { fill: 'var(--mantine-color-gray-8)', fontSize: 12 };
/** The top of the scale when every value is zero: one whole unit, not ticks of 0.01. */
const FLAT_TOP: Record<MetricChart['unit'], number> = {
  count: 1,
  percent: 1,
  seconds: 1,
  bytes: 1024,
  requests_per_second: 1,
  money: 100,
};

/** One row per time, one column per series (`s0`, `s1`...): the shape recharts plots. */
function rows(chart: MetricChart) {
  const byTime = new Map<number, Record<string, number>>();
  chart.series.forEach((series, i) => {
    for (const p of series.points) {
      const row = byTime.get(p.t) ?? { t: p.t };
      row[`s${i}`] = p.v;
      byTime.set(p.t, row);
    }
  });
  return [...byTime.values()].sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
}

export interface MetricChartCardProps {
  chart: MetricChart;
  range: MetricRange;
  /** The end of the window (ms), so every chart of a page spans the same time. */
  end: number;
  headingOrder?: TitleOrder;
}

/**
 * One chart of a metric over time: a titled section whose latest values are also written out, so a
 * screen reader (or anyone) gets the figure without reading the lines. Empty charts say so.
 */
export function MetricChartCard({ chart, range, end, headingOrder = 3 }: MetricChartCardProps) {
  const headingId = useId();
  const data = rows(chart);
  const summary = latestSummary(chart);
  const window = METRIC_RANGES.find((r) => r.value === range) ?? { ms: 3_600_000, label: '1 h' };
  const span = window.ms;
  const rangeLabel = window.label
    .replace(' h', ' hours')
    .replace(' d', ' days')
    .replace(/^1 hours$/, '1 hour');
  // Money is named after its currency: the axis uses the first one's.
  const currency = chart.series[0]?.name ?? '';
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={headingId}>
      <Stack gap={4}>
        <Title order={headingOrder} size="h5" id={headingId}>
          {chart.title}
        </Title>
        <Text size="xs" c="dimmed">
          {chart.description}
        </Text>
        {data.length === 0 ? (
          <Text size="sm" c="dimmed" py="xl" ta="center">
            No data yet
          </Text>
        ) : (
          <>
            <Text size="sm" fw={500}>
              {summary}
            </Text>
            <div role="img" aria-label={`${chart.title}, chart of the last ${rangeLabel}`}>
              <ResponsiveContainer width="100%" height={200}>
                <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--mantine-color-gray-3)" />
                  <XAxis
                    dataKey="t"
                    type="number"
                    scale="time"
                    domain={[end - span, end]}
                    tickFormatter={(t: number) => formatTimeTick(range, t)}
                    tick={AXIS_TEXT}
                    minTickGap={32}
                  />
                  <YAxis
                    tickFormatter={(v: number) => formatTick(chart.unit, v, currency)}
                    tick={AXIS_TEXT}
                    width={chart.unit === 'money' ? 72 : 60}
                    domain={[0, (max: number) => (max > 0 ? max : FLAT_TOP[chart.unit])]}
                    allowDecimals={chart.unit !== 'count'}
                  />
                  <Tooltip
                    labelFormatter={(t) => formatTimeFull(Number(t))}
                    formatter={(v, name) => formatValue(chart.unit, Number(v), String(name))}
                  />
                  {chart.series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
                  {chart.series.map((s, i) => (
                    <Line
                      key={s.name}
                      type="monotone"
                      dataKey={`s${i}`}
                      name={s.name}
                      stroke={COLORS[i % COLORS.length]}
                      strokeWidth={2}
                      dot={s.points.length === 1}
                      isAnimationActive={false}
                      connectNulls={false}
                    />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </>
        )}
      </Stack>
    </Paper>
  );
}
