import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import { type ReadinessDeps, readiness } from './readiness.js';

const checkSchema = z.object({ status: z.enum(['ok', 'fail']), error: z.string().optional() });
const readySchema = z
  .object({
    status: z
      .enum(['ready', 'degraded', 'not_ready'])
      .describe('degraded: the API serves, but no worker beat recently, so queued jobs wait (answered with 200)'),
    checks: z.object({ postgres: checkSchema, redis: checkSchema, queue: checkSchema, docker: checkSchema, worker: checkSchema }),
  })
  .meta({ id: 'Readiness' });

export const systemRoutes: FastifyPluginAsyncZod<ReadinessDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      schema: { tags: ['system'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } },
      config: { access: access.public() },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['system'],
        summary: 'Readiness: PostgreSQL, Redis, the queue and the Docker engine answer (503 naming the failing part otherwise)',
        response: { 200: readySchema, 503: readySchema },
      },
      config: { access: access.public() },
    },
    async (_request, reply) => {
      const { status, checks } = await readiness(deps);
      return reply.status(status === 'not_ready' ? 503 : 200).send({ status, checks });
    },
  );
};
