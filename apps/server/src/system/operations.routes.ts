import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import { noContent, page, pageQuery, sendNoContent } from '../http/route-helpers.js';
import { failedJobParams, failedJobSchema, queueDepthSchema, queueParams, workerInfoSchema } from './operations.schemas.js';
import type { OperationsService } from './operations.service.js';

/** The operators' view of the worker side: who is alive, how deep the queues are, what failed. */
export const operationsRoutes: FastifyPluginAsyncZod<{ operations: OperationsService }> = async (app, { operations }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/admin/system/workers',
    {
      schema: {
        tags: ['admin'],
        summary: 'Live worker processes (a recent heartbeat), oldest first; empty when no worker runs',
        response: { 200: z.array(workerInfoSchema) },
      },
      config: { access: staff },
    },
    async () => operations.workers(),
  );

  app.get(
    '/admin/system/queues',
    {
      schema: { tags: ['admin'], summary: 'Job counts per state of each queue', response: { 200: z.array(queueDepthSchema) } },
      config: { access: staff },
    },
    async () => operations.queueDepths(),
  );

  app.get(
    '/admin/system/queues/:queue/failed',
    {
      schema: {
        tags: ['admin'],
        summary: 'Failed jobs of a queue with their errors, newest first',
        params: queueParams,
        querystring: pageQuery,
        response: { 200: page(failedJobSchema) },
      },
      config: { access: staff },
    },
    async (request) => operations.failedJobs(request.params.queue, request.query),
  );

  app.post(
    '/admin/system/queues/:queue/failed/:jobId/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Queue a failed job again, with a fresh attempt budget',
        params: failedJobParams,
        response: { 202: noContent },
      },
      config: { access: admins, audit: { action: 'admin.retry_job', targetType: 'job' } },
    },
    async (request, reply) => {
      request.auditNote.details = { queue: request.params.queue };
      await operations.retry(request.params.queue, request.params.jobId);
      return sendNoContent(reply, 202);
    },
  );

  app.delete(
    '/admin/system/queues/:queue/failed/:jobId',
    {
      schema: { tags: ['admin'], summary: 'Remove a failed job', params: failedJobParams, response: { 204: noContent } },
      config: { access: admins, audit: { action: 'admin.remove_job', targetType: 'job' } },
    },
    async (request, reply) => {
      request.auditNote.details = { queue: request.params.queue };
      await operations.remove(request.params.queue, request.params.jobId);
      return sendNoContent(reply);
    },
  );
};
