import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { access } from '../http/access.js';

const withTimeout = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

const checkSchema = z.object({ status: z.enum(['ok', 'fail']), error: z.string().optional() });
const readySchema = z
  .object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ postgres: checkSchema, redis: checkSchema }) })
  .meta({ id: 'Readiness' });

export const systemRoutes: FastifyPluginAsyncZod<{ db: Db; redis: Redis }> = async (app, { db, redis }) => {
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
      const check = async (work: () => Promise<unknown>) => {
        try {
          await withTimeout(work(), 2000);
          return { status: 'ok' as const };
        } catch (err) {
          return { status: 'fail' as const, error: err instanceof Error ? err.message : String(err) };
        }
      };
      const [postgres, redisCheck] = await Promise.all([check(() => db.execute(sql`select 1`)), check(() => redis.ping())]);
      const ready = postgres.status === 'ok' && redisCheck.status === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { postgres, redis: redisCheck } });
    },
  );
};
