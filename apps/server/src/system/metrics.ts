import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Path of the Prometheus endpoint on the internal listener. */
export const METRICS_PATH = '/metrics';

/** Records every public request's duration and 5xx count into a registry of its own. */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'http_request_errors_total',
    help: 'HTTP responses with status >= 500',
    labelNames: ['method', 'route'],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc({ method: request.method, route });
  });
  return registry;
}

/**
 * The internal listener: metrics only, on METRICS_HOST:METRICS_PORT (loopback by default). It is a
 * separate server, not a route of the public one, so no proxy path, trailing slash or encoding
 * trick on the API port can ever reach it; the edge proxies only the API port.
 */
export function buildInternalApp(registry: Registry, logger: FastifyServerOptions['logger'] = false): FastifyInstance {
  const internal = Fastify({ logger });
  internal.get(METRICS_PATH, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return internal;
}
