import type { components } from '@saas/api-client';

export type MetricCharts = components['schemas']['MetricCharts'];
export type MetricChart = components['schemas']['MetricChart'];
export type ChartUnit = MetricChart['unit'];
export type MetricRange = MetricCharts['range'];

export const METRIC_RANGES: { value: MetricRange; label: string; ms: number }[] = [
  { value: '1h', label: '1 h', ms: 3_600_000 },
  { value: '24h', label: '24 h', ms: 86_400_000 },
  { value: '7d', label: '7 d', ms: 7 * 86_400_000 },
];

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const small = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 2 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "850 ms", "42 s", "12 min", "5.5 h", "13 d": durations from milliseconds to certificate lifetimes. */
export function formatSeconds(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 1) return `${Math.round(seconds * 1000)} ms`;
  if (abs < 120) return `${oneDecimal.format(seconds)} s`;
  if (abs < 7200) return `${oneDecimal.format(seconds / 60)} min`;
  if (abs < 172_800) return `${oneDecimal.format(seconds / 3600)} h`;
  return `${oneDecimal.format(seconds / 86_400)} d`;
}

function formatBinary(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(Math.abs(value) >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Money series are named after their currency and carry minor units (cents). */
function formatMoney(minor: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${compact.format(minor / 100)} ${currency}`;
  }
}

/** A value as people read it, by the chart's unit; `series` names the currency of money. */
export function formatValue(unit: ChartUnit, value: number, series = ''): string {
  switch (unit) {
    case 'percent':
      return `${oneDecimal.format(value)} %`;
    case 'seconds':
      return formatSeconds(value);
    case 'bytes':
      return formatBinary(value);
    case 'requests_per_second':
      return `${value !== 0 && Math.abs(value) < 10 ? small.format(value) : compact.format(value)} req/s`;
    case 'money':
      return formatMoney(value, series);
    default:
      return Math.abs(value) < 10 ? oneDecimal.format(value) : compact.format(value);
  }
}

/** Shorter labels for the axis: the unit is in the chart's title and tooltip. */
export function formatTick(unit: ChartUnit, value: number, series = ''): string {
  if (unit === 'money') return formatMoney(value, series).replace(/[.,]00(?=\D*$)/, '');
  if (unit === 'requests_per_second') return value !== 0 && Math.abs(value) < 10 ? small.format(value) : compact.format(value);
  if (unit === 'percent' && value !== 0 && Math.abs(value) < 10) return `${small.format(value)} %`;
  return formatValue(unit, value, series);
}

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const formatTimeTick = (range: MetricRange, t: number) => (range === '7d' ? day : time).format(t);
export const formatTimeFull = (t: number) => full.format(t);

/** The latest value of each series, as one sentence (the chart's text for screen readers, and a caption for all). */
export function latestSummary(chart: MetricChart): string | null {
  const parts = chart.series.flatMap((s) => {
    const last = s.points[s.points.length - 1];
    return last ? [`${s.name} ${formatValue(chart.unit, last.v, s.name)}`] : [];
  });
  return parts.length > 0 ? `Latest: ${parts.join(', ')}` : null;
}
