import { Text, Title } from '@mantine/core';
import { useState } from 'react';
import { LazyMetricChartsPanel } from '../metrics/lazy-charts';
import { type MetricsRange, useOverviewMetrics } from '../metrics/metrics.queries';

/** The platform's charts over time, read through the API from Prometheus. */
export function OverviewCharts() {
  const [range, setRange] = useState<MetricsRange>('24h');
  const query = useOverviewMetrics(range);
  return (
    <section aria-labelledby="overview-charts-heading">
      <Title order={2} size="h3" id="overview-charts-heading" mb="sm">
        Over time
      </Title>
      <LazyMetricChartsPanel
        query={query}
        range={range}
        onRangeChange={setRange}
        headingOrder={3}
        columns={2}
        intro={
          <Text size="sm" c="dimmed" maw={560}>
            From Prometheus, refreshed every minute.
          </Text>
        }
      />
    </section>
  );
}
