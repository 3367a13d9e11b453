import { Counter, Histogram } from 'prom-client';

/**
 * Provisioning outcomes, counted by the worker that ran the workflow (InstanceOperations.provision) and
 * served by its metrics listener (worker-metrics.ts). Not registered anywhere until then.
 */
export const provisioningDuration = new Histogram({
  name: 'saas_provisioning_duration_seconds',
  help: 'Time from an instance being created to it running, for provisionings that succeeded',
  buckets: [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 450, 600],
  registers: [],
});

export const provisioningTotal = new Counter({
  name: 'saas_provisioning_total',
  help: 'Provisioning workflows that ended, by result (success or failure)',
  labelNames: ['result'],
  registers: [],
});
// Both series exist from the start at 0, so Prometheus sees the first success or failure as an increase.
for (const result of ['success', 'failure']) provisioningTotal.inc({ result }, 0);

/** Records one provisioning's end; `createdAt` and `readyAt` are the instance's. */
export function recordProvisioning(result: 'success' | 'failure', times?: { createdAt: Date; readyAt: Date | null }) {
  provisioningTotal.inc({ result });
  if (result === 'success' && times?.readyAt) {
    provisioningDuration.observe(Math.max(0, (times.readyAt.getTime() - times.createdAt.getTime()) / 1000));
  }
}
