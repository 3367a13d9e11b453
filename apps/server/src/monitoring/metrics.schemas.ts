import { z } from 'zod';
import { CHART_UNITS } from './charts.js';
import { METRICS_RANGES } from './metrics-store.js';

export const metricsQuery = z.object({
  range: z.enum(METRICS_RANGES).default('1h').describe('The window that ends now'),
});

const pointSchema = z.object({ t: z.number().describe('Epoch milliseconds'), v: z.number() }).meta({ id: 'MetricPoint' });

export const chartSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    unit: z.enum(CHART_UNITS).describe('money: minor units of the currency the series is named after'),
    series: z.array(z.object({ name: z.string(), points: z.array(pointSchema) }).meta({ id: 'MetricSeries' })),
  })
  .meta({ id: 'MetricChart' });

export const chartsSchema = z
  .object({
    range: z.enum(METRICS_RANGES),
    available: z.boolean().describe('false: no metrics store is configured (PROMETHEUS_URL); charts is then empty'),
    stepSeconds: z.number().int().describe('Seconds between points; counts (sign-ups...) are per step'),
    charts: z.array(chartSchema),
  })
  .meta({ id: 'MetricCharts' });

export type MetricChartsDto = z.infer<typeof chartsSchema>;
export type MetricChartDto = z.infer<typeof chartSchema>;
