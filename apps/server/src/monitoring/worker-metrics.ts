import Fastify from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Platform } from '../platform.js';
import { METRICS_PATH } from '../system/metrics.js';
import { InstanceMetricsCollector } from './instance-metrics.js';
import { provisioningDuration, provisioningTotal } from './provisioning-metrics.js';

/**
 * The worker's internal listener (WORKER_METRICS_PORT on METRICS_HOST, loopback by default): its process
 * metrics, provisioning outcomes and per-instance resources, for Prometheus's `worker` job.
 */
export async function startWorkerMetrics(platform: Pick<Platform, 'config' | 'db' | 'runtime' | 'log'>, options: { port?: number } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(provisioningDuration);
  registry.registerMetric(provisioningTotal);
  const instances = new InstanceMetricsCollector(platform, registry);

  const server = Fastify({ logger: false });
  server.get(METRICS_PATH, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  const address = await server.listen({
    host: platform.config.metrics.host,
    port: options.port ?? platform.config.monitoring.workerMetricsPort,
  });
  instances.start();
  return {
    address,
    registry,
    async close() {
      await instances.stop();
      await server.close();
    },
  };
}
