import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { access } from '../http/access.js';
import { instanceAccess } from '../instances/instance-access.js';
import { instanceParams } from '../instances/instances.schemas.js';
import { chartsSchema, metricsQuery } from './metrics.schemas.js';
import type { MetricsService } from './metrics.service.js';

/** Charts over time: the operators' overview and instance pages, and a tenant's own instance (its Usage tab). */
export const metricsRoutes: FastifyPluginAsyncZod<{
  metrics: MetricsService;
  instances: { tenantOf(id: string): Promise<string | null> };
}> = async (app, { metrics, instances }) => {
  const staff = access.platform('admin', 'support');
  const anyMember = instanceAccess(instances)('owner', 'admin', 'member');

  app.get(
    '/admin/metrics/overview',
    {
      schema: {
        tags: ['admin'],
        summary: 'The platform’s charts over time (sign-ups, instances, provisioning, API, queues, host, certificates, MRR)',
        querystring: metricsQuery,
        response: { 200: chartsSchema },
      },
      config: { access: staff },
    },
    async (request) => metrics.overview(request.query.range),
  );

  app.get(
    '/admin/instances/:instanceId/metrics',
    {
      schema: {
        tags: ['admin'],
        summary: 'CPU, memory, disk and requests of any instance over time',
        params: instanceParams,
        querystring: metricsQuery,
        response: { 200: chartsSchema },
      },
      config: { access: staff },
    },
    async (request) => metrics.instance(request.params.instanceId, request.query.range),
  );

  app.get(
    '/instances/:instanceId/metrics',
    {
      schema: {
        tags: ['instances'],
        summary: 'CPU, memory, disk and requests of the instance over time',
        params: instanceParams,
        querystring: metricsQuery,
        response: { 200: chartsSchema },
      },
      config: { access: anyMember },
    },
    async (request) => metrics.ownInstance(request.params.instanceId, request.query.range),
  );
};
