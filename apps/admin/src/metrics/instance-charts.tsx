import { useState } from 'react';
import { LazyMetricChartsPanel } from './lazy-charts';
import { type MetricsRange, useAdminInstanceMetrics } from './metrics.queries';

/**
 * CPU, memory, disk and requests of one instance over 1 h / 24 h / 7 d, for the admin instance
 * page. Its chart headings are h3: place it under an h2.
 */
export function InstanceCharts({ instanceId }: { instanceId: string }) {
  const [range, setRange] = useState<MetricsRange>('24h');
  const query = useAdminInstanceMetrics(instanceId, range);
  return <LazyMetricChartsPanel query={query} range={range} onRangeChange={setRange} headingOrder={3} />;
}
