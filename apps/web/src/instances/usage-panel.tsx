import { Group, Paper, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import { unwrap } from '@saas/api-client';
import { ErrorState, formatBytes, LoadingState, useApi } from '@saas/ui';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { InstanceStats } from './instances.queries';
import { Sparkline, type SparklinePoint } from './sparkline';

const POLL_MS = 5_000;
/** Five minutes of samples at one every 5 s. */
const WINDOW = 60;

/**
 * Polls `/stats` every 5 s while the page is open and keeps the last few minutes of samples
 * (mounted by the page, not the tab, so the chart has history when the tab is opened).
 */
export function useStatsHistory(instanceId: string, enabled: boolean) {
  const api = useApi();
  const query = useQuery({
    queryKey: ['instances', instanceId, 'stats'],
    queryFn: () => unwrap(api.GET('/instances/{instanceId}/stats', { params: { path: { instanceId } } })),
    enabled,
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
  });
  const [samples, setSamples] = useState<InstanceStats[]>([]);
  useEffect(() => {
    const sample = query.data;
    if (!sample) return;
    setSamples((prev) => (prev[prev.length - 1]?.at === sample.at ? prev : [...prev, sample].slice(-WINDOW)));
  }, [query.data]);
  return { query, samples };
}

function series(samples: InstanceStats[], pick: (s: InstanceStats) => number | null): SparklinePoint[] {
  return samples.map((s) => ({ t: Date.parse(s.at), v: pick(s) }));
}

function describe(name: string, points: SparklinePoint[], format: (v: number) => string): string {
  const values = points.map((p) => p.v).filter((v): v is number => v !== null);
  if (values.length === 0) return `${name}: no data yet`;
  const last = values[values.length - 1] ?? 0;
  return `${name} over the last ${Math.max(1, Math.round((values.length * POLL_MS) / 60_000))} minute(s): now ${format(last)}, peak ${format(Math.max(...values))}`;
}

function Metric({ title, value, detail, children }: { title: string; value: string; detail?: string; children?: React.ReactNode }) {
  return (
    <Paper withBorder p="md">
      <Stack gap={6}>
        <Group justify="space-between" align="baseline" wrap="nowrap">
          <Text size="sm" c="dimmed" fw={500}>
            {title}
          </Text>
          <Text fw={700} size="lg">
            {value}
          </Text>
        </Group>
        {detail && (
          <Text size="xs" c="dimmed">
            {detail}
          </Text>
        )}
        {children}
      </Stack>
    </Paper>
  );
}

export function UsagePanel({
  stats,
  storageLimitGb,
  running,
}: {
  stats: ReturnType<typeof useStatsHistory>;
  storageLimitGb: number;
  running: boolean;
}) {
  const { query, samples } = stats;
  if (query.isPending && samples.length === 0) return <LoadingState label="Measuring usage…" />;
  if (query.isError && samples.length === 0) {
    return <ErrorState title="Could not read the usage" error={query.error} onRetry={() => query.refetch()} />;
  }
  const now = samples[samples.length - 1];
  if (!now) return null;
  const cpu = series(samples, (s) => s.cpuPercent);
  const memory = series(samples, (s) => s.memoryBytes);
  const pct = (v: number) => `${v.toFixed(1)} %`;
  const storageLimit = storageLimitGb * 1024 ** 3;
  const storageUsed = (now.diskBytes ?? 0) + (now.databaseBytes ?? 0);

  return (
    <Stack>
      {!running && (
        <Text size="sm" c="dimmed">
          Odoo is not running, so there is no CPU or memory use; storage is still measured.
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Metric title="CPU" value={now.cpuPercent === null ? '—' : pct(now.cpuPercent)} detail="Share of one CPU core · last 5 minutes">
          <Sparkline points={cpu} windowMs={WINDOW * POLL_MS} max={100} label={describe('CPU', cpu, pct)} />
        </Metric>
        <Metric
          title="Memory"
          value={formatBytes(now.memoryBytes)}
          detail={`${now.memoryLimitBytes ? `of ${formatBytes(now.memoryLimitBytes)} allowed · ` : ''}last 5 minutes`}
        >
          <Sparkline
            points={memory}
            max={now.memoryLimitBytes}
            label={describe('Memory', memory, formatBytes)}
            color="var(--mantine-color-grape-7)"
          />
        </Metric>
        <Metric title="Files" value={formatBytes(now.diskBytes)} detail="Attachments and the file store" />
        <Metric title="Database" value={formatBytes(now.databaseBytes)} detail="PostgreSQL database size" />
      </SimpleGrid>
      {storageLimitGb > 0 && (
        <Paper withBorder p="md">
          <Group justify="space-between" mb={6}>
            <Text size="sm" fw={500}>
              Storage used
            </Text>
            <Text size="sm">
              {formatBytes(storageUsed)} of {storageLimitGb} GB
            </Text>
          </Group>
          <Progress
            value={Math.min(100, (storageUsed / storageLimit) * 100)}
            color={now.storage.state === 'full' ? 'red' : now.storage.state === 'warning' ? 'orange' : undefined}
            aria-label={`Storage used: ${formatBytes(storageUsed)} of ${storageLimitGb} GB`}
          />
          {now.storage.state !== 'ok' && (
            <Text size="sm" mt={6} c={now.storage.state === 'full' ? 'red.8' : 'orange.9'}>
              {now.storage.state === 'full'
                ? 'All the storage of your plan is used. Delete attachments or old data, or move to a larger plan.'
                : 'Over 80 % of the storage of your plan is used. Delete attachments or old data, or move to a larger plan.'}
            </Text>
          )}
        </Paper>
      )}
      <Text size="xs" c="dimmed">
        Updated every 5 seconds while this page is open · last at {new Date(now.at).toLocaleTimeString()}
        {query.isError ? ` · last update failed (${query.error.message})` : ''}
      </Text>
    </Stack>
  );
}
