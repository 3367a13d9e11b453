import { Group, SegmentedControl, SimpleGrid, Stack, Text, type TitleOrder } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { EmptyState, ErrorState, LoadingState } from '../states/states';
import { METRIC_RANGES, type MetricCharts, type MetricRange } from './chart-format';
import { MetricChartCard } from './metric-chart';

export interface MetricChartsPanelProps {
  query: UseQueryResult<MetricCharts>;
  range: MetricRange;
  onRangeChange: (range: MetricRange) => void;
  /** The charts' headings sit under the page's: h3 under an h2 section, by default. */
  headingOrder?: TitleOrder;
  /** Shown beside the range switch. */
  intro?: ReactNode;
  /** Columns from medium screens up (one on phones). */
  columns?: number;
  /** What to say when the platform has no metrics store; by default, how an operator sets one up. */
  notConfigured?: ReactNode;
}

/**
 * Charts over time with a 1 h / 24 h / 7 d switch: the admin overview, an instance's charts for
 * operators and the tenant's Usage tab. While a new range loads, the previous charts stay.
 */
export function MetricChartsPanel({
  query,
  range,
  onRangeChange,
  headingOrder = 3,
  intro,
  columns = 2,
  notConfigured,
}: MetricChartsPanelProps) {
  const data = query.data;
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" gap="sm">
        {intro ?? <span />}
        <SegmentedControl
          aria-label="Time range"
          value={range}
          onChange={(v) => onRangeChange(v as MetricRange)}
          data={METRIC_RANGES.map((r) => ({ value: r.value, label: r.label }))}
        />
      </Group>
      {query.isPending ? (
        <LoadingState label="Loading charts…" />
      ) : !data ? (
        <ErrorState title="The charts could not be loaded" error={query.error} onRetry={() => query.refetch()} />
      ) : !data.available ? (
        <EmptyState
          title="Monitoring is not configured"
          description={notConfigured ?? 'Charts need Prometheus: set PROMETHEUS_URL for the API (see docs/monitoring.md).'}
        />
      ) : (
        <Stack gap="xs" aria-busy={query.isFetching}>
          {query.isError && (
            <Text size="sm" c="red.9" role="status">
              Showing earlier data: the last refresh failed ({query.error.message})
            </Text>
          )}
          <SimpleGrid cols={{ base: 1, md: columns }}>
            {data.charts.map((chart) => (
              <MetricChartCard key={chart.id} chart={chart} range={data.range} end={query.dataUpdatedAt} headingOrder={headingOrder} />
            ))}
          </SimpleGrid>
        </Stack>
      )}
    </Stack>
  );
}
