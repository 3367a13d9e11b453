import { Text, Title } from '@mantine/core';
import { unwrap } from '@saas/api-client';
import { LoadingState, useApi } from '@saas/ui';
import type { MetricRange } from '@saas/ui/charts';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';

// recharts is the bulk of the charts' code: loaded when the Usage tab first opens.
const Panel = lazy(() => import('@saas/ui/charts').then((m) => ({ default: m.MetricChartsPanel })));

function useInstanceMetrics(instanceId: string, range: MetricRange) {
  const api = useApi();
  return useQuery({
    queryKey: ['instances', instanceId, 'metrics', range],
    queryFn: () => unwrap(api.GET('/instances/{instanceId}/metrics', { params: { path: { instanceId }, query: { range } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });
}

/** The instance's CPU, memory, disk and requests over the last hour, day or week (the platform's monitoring). */
export function UsageHistory({ instanceId }: { instanceId: string }) {
  const [range, setRange] = useState<MetricRange>('24h');
  const query = useInstanceMetrics(instanceId, range);
  return (
    <section aria-labelledby="usage-history-heading">
      <Title order={2} size="h4" id="usage-history-heading" mb="xs">
        Usage over time
      </Title>
      <Suspense fallback={<LoadingState label="Loading charts…" />}>
        <Panel
          query={query}
          range={range}
          onRangeChange={setRange}
          headingOrder={3}
          intro={
            <Text size="sm" c="dimmed" maw={520}>
              Measured by the platform every few seconds; refreshed every minute while this page is open.
            </Text>
          }
          notConfigured="This platform does not keep a history of usage. The figures above are measured live."
        />
      </Suspense>
    </section>
  );
}
