import type { MonitoringConfig } from '../../config/monitoring-env.js';
import type { MetricsStore } from '../metrics-store.js';
import { PrometheusStore } from './prometheus-store.js';

/** Prometheus when PROMETHEUS_URL is set; null otherwise (the dashboards then say monitoring is not configured). */
export function createMetricsStore(monitoring: Pick<MonitoringConfig, 'prometheusUrl'>): MetricsStore | null {
  return monitoring.prometheusUrl ? new PrometheusStore({ url: monitoring.prometheusUrl }) : null;
}
