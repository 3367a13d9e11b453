import { LoadingState } from '@saas/ui';
import type { MetricChartsPanelProps } from '@saas/ui/charts';
import { lazy, Suspense } from 'react';

// recharts is the bulk of the charts' code: loaded after the page's own content, in a chunk billing shares.
const Panel = lazy(() => import('@saas/ui/charts').then((m) => ({ default: m.MetricChartsPanel })));

/** MetricChartsPanel, loaded on first use. */
export function LazyMetricChartsPanel(props: MetricChartsPanelProps) {
  return (
    <Suspense fallback={<LoadingState label="Loading charts…" />}>
      <Panel {...props} />
    </Suspense>
  );
}
