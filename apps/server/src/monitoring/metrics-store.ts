import { DomainError } from '../errors/domain-error.js';

/** A chart's time window, as the API accepts it. */
export const METRICS_RANGES = ['1h', '24h', '7d'] as const;
export type MetricsRange = (typeof METRICS_RANGES)[number];

const RANGE_SECONDS: Record<MetricsRange, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400 };

/** Steps a chart may use: round numbers, so points fall on minutes and hours people recognise. */
const STEPS_SECONDS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
/** More points than a chart is wide at phone width only cost bandwidth. */
export const MAX_POINTS = 180;

/**
 * The smallest round step that keeps a window under MAX_POINTS points. Never under a minute: a rate
 * over a shorter window would see too few scrapes (Prometheus scrapes every 15 s by default).
 */
export function chooseStep(durationSeconds: number): number {
  return STEPS_SECONDS.find((step) => durationSeconds / step <= MAX_POINTS) ?? (STEPS_SECONDS.at(-1) as number);
}

export interface RangeWindow {
  start: Date;
  end: Date;
  stepSeconds: number;
}

/** The window ends now (not on a step boundary), so the latest scrape is always in the last point. */
export function rangeWindow(range: MetricsRange, now = new Date()): RangeWindow {
  const duration = RANGE_SECONDS[range];
  return { start: new Date(now.getTime() - duration * 1000), end: now, stepSeconds: chooseStep(duration) };
}

export interface MetricPoint {
  /** Epoch milliseconds. */
  t: number;
  v: number;
}

/** One time series of a query's result: its labels and its points (finite values only). */
export interface MetricSeries {
  labels: Record<string, string>;
  points: MetricPoint[];
}

/** Where the platform reads time series from (Prometheus: prometheus/prometheus-store.ts). */
export interface MetricsStore {
  /** Evaluates a PromQL expression over a window; throws `metrics_unavailable` when the store cannot answer. */
  queryRange(query: string, window: RangeWindow): Promise<MetricSeries[]>;
}

/** The metrics store is down, unreachable or refused the query: 503, with the cause in words. */
export const metricsUnavailable = (cause: string) =>
  new DomainError('unavailable', 'metrics_unavailable', `The charts cannot be shown right now: ${cause}`);
