import { isUuid } from '../http/access.js';

/**
 * Every chart the dashboards show, in one place: its title, its unit and the PromQL of each series.
 * The metric names are those the API, the worker, mtail and the exporters publish (docs/monitoring.md).
 * Several API or worker replicas report the same gauges: gauges computed from the database are
 * combined with max(), counters with sum().
 */

export const CHART_UNITS = ['count', 'percent', 'seconds', 'bytes', 'requests_per_second', 'money'] as const;
export type ChartUnit = (typeof CHART_UNITS)[number];

export interface QueryContext {
  /** The window of rate()/increase(): one step, so consecutive points never count the same event twice. */
  window: string;
}

export interface SeriesDef {
  /** A fixed name, or one made from the labels of each series the query returns (one per status, per code...). */
  name: string | ((labels: Record<string, string>) => string);
  query: (context: QueryContext) => string;
}

export interface ChartDef {
  id: string;
  title: string;
  /** One line under the title; counts of events say what one point covers ("per 10 minutes"). */
  description: string | ((per: string) => string);
  unit: ChartUnit;
  series: SeriesDef[];
}

/** "per minute", "per 10 minutes", "per hour": what one point of a count of events covers. */
export function perStep(stepSeconds: number): string {
  if (stepSeconds % 3600 === 0) return stepSeconds === 3600 ? 'per hour' : `per ${stepSeconds / 3600} hours`;
  const minutes = Math.max(1, Math.round(stepSeconds / 60));
  return minutes === 1 ? 'per minute' : `per ${minutes} minutes`;
}

/** A PromQL duration of whole seconds ("300s": Prometheus accepts it as is). */
export const promDuration = (seconds: number) => `${Math.max(1, Math.round(seconds))}s`;

const quantile = (q: number, buckets: string, window: string) => `histogram_quantile(${q}, sum by (le) (rate(${buckets}[${window}])))`;

const API = 'job="api"';
const apiRequests = (w: string) => `sum(rate(http_request_duration_seconds_count{${API}}[${w}]))`;
// File systems that are not disks (memory, containers' layers, snap images) would only add noise.
const DISKS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|devtmpfs|fuse.*",mountpoint!~"/(run|snap|var/lib/docker)(/.*)?"';

const label =
  (name: string, fallback = 'unknown') =>
  (labels: Record<string, string>) =>
    labels[name] || fallback;
const capitalized = (name: string) => (labels: Record<string, string>) => {
  const value = labels[name] || 'unknown';
  return value.charAt(0).toUpperCase() + value.slice(1);
};
const RESULTS: Record<string, string> = { success: 'Succeeded', failure: 'Failed' };

export const OVERVIEW_CHARTS: ChartDef[] = [
  {
    id: 'signups',
    title: 'Sign-ups',
    description: (per) => `New accounts ${per}`,
    unit: 'count',
    series: [{ name: 'Sign-ups', query: ({ window }) => `sum(increase(saas_signups_total[${window}]))` }],
  },
  {
    id: 'instances_by_status',
    title: 'Instances by status',
    description: 'Instances in each status, deleted ones left out',
    unit: 'count',
    series: [{ name: capitalized('status'), query: () => 'max by (status) (saas_instances{status!="deleted"})' }],
  },
  {
    id: 'provisioning_time',
    title: 'Provisioning time',
    description: 'How long provisioning took: median (p50) and 95th percentile (p95)',
    unit: 'seconds',
    series: [
      { name: 'p50', query: ({ window }) => quantile(0.5, 'saas_provisioning_duration_seconds_bucket', window) },
      { name: 'p95', query: ({ window }) => quantile(0.95, 'saas_provisioning_duration_seconds_bucket', window) },
    ],
  },
  {
    id: 'provisioning_outcomes',
    title: 'Provisioning runs and failures',
    description: (per) => `Provisioning runs that ended, ${per}`,
    unit: 'count',
    series: [
      {
        name: (labels) => RESULTS[labels.result ?? ''] ?? labels.result ?? 'unknown',
        query: ({ window }) => `sum by (result) (increase(saas_provisioning_total[${window}]))`,
      },
    ],
  },
  {
    id: 'api_request_rate',
    title: 'API requests',
    description: 'Requests per second the API answered',
    unit: 'requests_per_second',
    series: [{ name: 'Requests', query: ({ window }) => apiRequests(window) }],
  },
  {
    id: 'api_error_rate',
    title: 'API server errors',
    description: 'Share of API responses that were server errors (5xx)',
    unit: 'percent',
    series: [
      {
        name: '5xx share',
        // No error yet means no error series at all: count it as zero rather than as no data.
        query: ({ window }) => `100 * (sum(rate(http_request_errors_total{${API}}[${window}])) or vector(0)) / ${apiRequests(window)}`,
      },
    ],
  },
  {
    id: 'api_latency',
    title: 'API latency',
    description: 'API response time: median (p50) and 95th percentile (p95)',
    unit: 'seconds',
    series: [
      { name: 'p50', query: ({ window }) => quantile(0.5, `http_request_duration_seconds_bucket{${API}}`, window) },
      { name: 'p95', query: ({ window }) => quantile(0.95, `http_request_duration_seconds_bucket{${API}}`, window) },
    ],
  },
  {
    id: 'queue_depth',
    title: 'Queue depth',
    description: 'Jobs waiting, running or scheduled, all queues together',
    unit: 'count',
    series: [
      {
        name: capitalized('state'),
        query: () => 'sum by (state) (max by (queue, state) (saas_queue_jobs{state=~"waiting|active|delayed"}))',
      },
    ],
  },
  {
    id: 'failed_jobs',
    title: 'Failed jobs',
    description: 'Jobs that failed for good, per queue (retry or remove them on the System page)',
    unit: 'count',
    series: [{ name: label('queue'), query: () => 'max by (queue) (saas_queue_jobs{state="failed"})' }],
  },
  {
    id: 'host_cpu',
    title: 'Host CPU',
    description: 'CPU time spent busy, per host',
    unit: 'percent',
    series: [
      {
        name: label('instance', 'host'),
        query: ({ window }) => `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${window}])))`,
      },
    ],
  },
  {
    id: 'host_memory',
    title: 'Host memory used',
    description: 'Memory in use, per host',
    unit: 'percent',
    series: [
      {
        name: label('instance', 'host'),
        query: () => '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
      },
    ],
  },
  {
    id: 'host_disk',
    title: 'Host disk used',
    description: 'Space used, per file system',
    unit: 'percent',
    series: [
      {
        name: (labels) => `${labels.mountpoint ?? '?'} (${labels.instance ?? 'host'})`,
        query: () =>
          `max by (instance, mountpoint) (100 * (1 - node_filesystem_avail_bytes{${DISKS}} / node_filesystem_size_bytes{${DISKS}}))`,
      },
    ],
  },
  {
    id: 'docker_engine',
    title: 'Docker engine availability',
    description: 'Share of probes the Docker engine answered within 2 s',
    unit: 'percent',
    // The share of probes that found the engine answering; any replica's failure counts.
    series: [{ name: 'Engine up', query: ({ window }) => `100 * min(avg_over_time(saas_docker_engine_up[${window}]))` }],
  },
  {
    id: 'certificate_expiry',
    title: 'Soonest certificate expiry',
    description: 'Time left before the first certificate expires',
    unit: 'seconds',
    series: [{ name: 'Time left', query: () => 'min(max by (domain) (saas_certificate_expiry_timestamp_seconds)) - time()' }],
  },
  {
    id: 'mrr',
    title: 'Monthly recurring revenue',
    description: 'Monthly recurring revenue, per currency',
    unit: 'money',
    // One series per currency; its name is the currency code, which the dashboards use to format amounts.
    series: [{ name: (labels) => (labels.currency ?? 'unknown').toUpperCase(), query: () => 'max by (currency) (saas_mrr)' }],
  },
];

/**
 * The selector of one instance's series. The id comes from a validated path parameter; checking it
 * again here keeps anything but a uuid out of PromQL whoever calls this.
 */
export function instanceSelector(instanceId: string): string {
  if (!isUuid(instanceId)) throw new Error(`not an instance id: ${JSON.stringify(instanceId)}`);
  return `instance_id="${instanceId.toLowerCase()}"`;
}

/** CPU, memory, disk and requests of one instance (the admin's instance page and the tenant's Usage tab). */
export function instanceCharts(instanceId: string): ChartDef[] {
  const of = instanceSelector(instanceId);
  return [
    {
      id: 'instance_cpu',
      title: 'CPU',
      description: 'Share of one CPU core',
      unit: 'percent',
      // Percent of one core; every worker measuring the same container reports the same counter.
      series: [{ name: 'CPU', query: ({ window }) => `100 * max(rate(saas_instance_cpu_seconds_total{${of}}[${window}]))` }],
    },
    {
      id: 'instance_memory',
      title: 'Memory',
      description: 'Memory used, and the limit of the plan',
      unit: 'bytes',
      series: [
        { name: 'Used', query: () => `max(saas_instance_memory_bytes{${of}})` },
        { name: 'Limit', query: () => `max(saas_instance_memory_limit_bytes{${of}})` },
      ],
    },
    {
      id: 'instance_disk',
      title: 'Disk',
      description: 'Storage used by the database and the file store, as last measured',
      unit: 'bytes',
      series: [{ name: 'Used', query: () => `max(saas_instance_disk_bytes{${of}})` }],
    },
    {
      id: 'instance_requests',
      title: 'Requests',
      description: 'Requests per second through the platform’s edge, by status class',
      unit: 'requests_per_second',
      series: [{ name: label('code'), query: ({ window }) => `sum by (code) (rate(edge_http_requests_total{${of}}[${window}]))` }],
    },
  ];
}
