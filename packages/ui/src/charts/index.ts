// A separate entry point (@saas/ui/charts): recharts stays out of the bundles of pages without charts.
export {
  type ChartUnit,
  formatSeconds,
  formatValue,
  latestSummary,
  METRIC_RANGES,
  type MetricChart,
  type MetricCharts,
  type MetricRange,
} from './chart-format';
export { MetricChartCard, type MetricChartCardProps } from './metric-chart';
export { MetricChartsPanel, type MetricChartsPanelProps } from './metric-charts-panel';
