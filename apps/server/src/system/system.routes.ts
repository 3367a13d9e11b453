import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { access } from '../http/access.js';
import { readiness } from './readiness.js';

const checkSchema = z.object({ status: z.enum(['ok', 'fail']), error: z.string().optional() });
const readySchema = z
  .object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ postgres: checkSchema, redis: checkSchema }) })
  .meta({ id: 'Readiness' });

export const systemRoutes: FastifyPluginAsyncZod<{ db: Db; redis: Redis }> = async (app, deps) => {
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
        summary: 'Readiness: PostgreSQL and Redis answer (503 naming the failing part otherwise)',
        response: { 200: readySchema, 503: readySchema },
      },
      config: { access: access.public() },
    },
    async (_request, reply) => {
      const { ready, checks } = await readiness(deps);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
};
