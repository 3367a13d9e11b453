import { z } from 'zod';

/** The monitoring part of the environment (docs/monitoring.md). */
export const monitoringEnvShape = {
  // The worker's internal listener (its Prometheus metrics), on METRICS_HOST. 0: any free port.
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9470),
  // Where the API reads time series (charts); unset, the chart endpoints answer `available: false`.
  // Credentials in the URL (https://user:password@host) are sent as Basic authentication.
  PROMETHEUS_URL: z.url().optional(),
  // Where Alertmanager runs; loopback in the default set-up.
  ALERTMANAGER_URL: z.url().default('http://127.0.0.1:9093'),
  // Alertmanager's webhook sends this bearer token; unset, the alert intake refuses every request.
  ALERTMANAGER_WEBHOOK_TOKEN: z.string().min(16).optional(),
  // Alert mail recipients, comma-separated; unset: every platform admin.
  ALERT_EMAIL_TO: z.string().optional(),
  // The edge's stub_status (loopback), read by prometheus-nginx-exporter.
  EDGE_STATUS_PORT: z.coerce.number().int().min(1).max(65535).default(8089),
};

const monitoringEnv = z.object(monitoringEnvShape);

export interface MonitoringConfig {
  /** The worker's metrics listener port (host: METRICS_HOST). */
  workerMetricsPort: number;
  /** Unset: no charts (docs/monitoring.md). */
  prometheusUrl: string | undefined;
  alertmanagerUrl: string;
  /** Bearer token of Alertmanager's webhook; undefined refuses every alert intake. */
  webhookToken: string | undefined;
  /** Explicit alert recipients; empty: every platform admin. */
  alertEmailTo: string[];
  edgeStatusPort: number;
}

export function monitoringConfig(env: z.infer<typeof monitoringEnv>): MonitoringConfig {
  return {
    workerMetricsPort: env.WORKER_METRICS_PORT,
    prometheusUrl: env.PROMETHEUS_URL?.replace(/\/+$/, ''),
    alertmanagerUrl: env.ALERTMANAGER_URL.replace(/\/+$/, ''),
    webhookToken: env.ALERTMANAGER_WEBHOOK_TOKEN,
    alertEmailTo: (env.ALERT_EMAIL_TO ?? '')
      .split(',')
      .map((address) => address.trim())
      .filter(Boolean),
    edgeStatusPort: env.EDGE_STATUS_PORT,
  };
}

/** Each API process's internal listener port (METRICS_PORT + n); none when METRICS_PORT is 0 (any free port). */
export const apiMetricsPorts = (env: { METRICS_PORT: number; API_PROCESSES: number }) =>
  env.METRICS_PORT === 0 ? [] : Array.from({ length: env.API_PROCESSES }, (_, n) => env.METRICS_PORT + n);

export function checkApiProcesses(
  env: { METRICS_PORT: number; API_PROCESSES: number; API_PROCESS_INDEX: number; WORKER_METRICS_PORT: number },
  ctx: z.RefinementCtx,
) {
  if (env.API_PROCESS_INDEX >= env.API_PROCESSES) {
    ctx.addIssue({ code: 'custom', path: ['API_PROCESS_INDEX'], message: `must be below API_PROCESSES (${env.API_PROCESSES})` });
  }
  const ports = apiMetricsPorts(env);
  if (ports.includes(env.WORKER_METRICS_PORT) || (ports.at(-1) ?? 0) > 65535) {
    ctx.addIssue({
      code: 'custom',
      path: ['WORKER_METRICS_PORT'],
      message: `the API processes' internal listeners take ports ${ports[0]}-${ports.at(-1)} (METRICS_PORT + process, API_PROCESSES=${env.API_PROCESSES}): move WORKER_METRICS_PORT out of them (default 9470)`,
    });
  }
}
