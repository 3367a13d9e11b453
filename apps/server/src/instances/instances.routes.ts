import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { access, requireAuth } from '../http/access.js';
import { serveLiveStream } from '../http/live-stream.js';
import { tenantParams } from '../tenants/tenants.schemas.js';
import { instanceAccess } from './instance-access.js';
import { toInstanceDto } from './instance-dto.js';
import { type InstanceUpdateHub, isSettled } from './instance-events.js';
import type { InstanceRow } from './instances.repo.js';
import {
  createInstanceBody,
  credentialsSchema,
  type InstanceDto,
  type InstanceUpdate,
  instanceEventSchema,
  instanceParams,
  instanceSchema,
  instanceUpdateSchema,
  statsSchema,
  versionSchema,
} from './instances.schemas.js';
import type { InstancesService } from './instances.service.js';
import type { VersionsService } from './versions.service.js';

export const instancesRoutes: FastifyPluginAsyncZod<{
  config: Config;
  instances: InstancesService;
  versions: VersionsService;
  hub: InstanceUpdateHub;
}> = async (app, { config, instances, versions, hub }) => {
  const ofInstance = instanceAccess(instances);
  const anyMember = ofInstance('owner', 'admin', 'member');
  const managers = ofInstance('owner', 'admin');
  const dto = (i: InstanceRow) => toInstanceDto(config, i);

  app.get(
    '/odoo-versions',
    {
      schema: { tags: ['instances'], summary: 'Odoo versions offered', response: { 200: z.array(versionSchema) } },
      config: { access: access.user() },
    },
    async () => versions.listOffered(),
  );

  app.get(
    '/instances/slug-availability',
    {
      schema: {
        tags: ['instances'],
        summary: 'Whether a subdomain can be used, and why not',
        querystring: z.object({ slug: z.string().trim().toLowerCase().max(100) }),
        response: {
          200: z.object({ slug: z.string(), available: z.boolean(), code: z.string().nullable(), message: z.string().nullable() }),
        },
      },
      config: { access: access.user() },
    },
    async (request) => instances.slugAvailability(request.query.slug),
  );

  app.get(
    '/tenants/:tenantId/instances',
    {
      schema: { tags: ['instances'], summary: 'Instances of the tenant', params: tenantParams, response: { 200: z.array(instanceSchema) } },
      config: { access: access.tenant('owner', 'admin', 'member') },
    },
    async (request) => (await instances.list(request.params.tenantId)).map(dto),
  );

  app.post(
    '/tenants/:tenantId/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'Create an Odoo instance; provisioning runs in the background (follow /instances/{id}/events)',
        params: tenantParams,
        body: createInstanceBody,
        response: { 202: instanceSchema },
      },
      config: { access: access.tenant('owner', 'admin'), audit: { action: 'instance.create', targetType: 'instance' } },
    },
    async (request, reply) => {
      const instance = await instances.create(request.params.tenantId, requireAuth(request), request.body);
      request.auditNote.targetId = instance.id;
      request.auditNote.details = { slug: instance.slug, version: instance.version };
      return reply.status(202).send(dto(instance));
    },
  );

  app.get(
    '/instances/:instanceId',
    {
      schema: {
        tags: ['instances'],
        summary: 'One instance with its live status and progress',
        params: instanceParams,
        response: { 200: instanceSchema },
      },
      config: { access: anyMember },
    },
    async (request) => dto(await instances.get(request.params.instanceId)),
  );

  app.get(
    '/instances/:instanceId/history',
    {
      schema: {
        tags: ['instances'],
        summary: 'Status changes, oldest first',
        params: instanceParams,
        response: { 200: z.array(instanceEventSchema) },
      },
      config: { access: anyMember },
    },
    async (request) =>
      (await instances.history(request.params.instanceId)).map((e) => ({
        fromStatus: e.fromStatus,
        toStatus: e.toStatus,
        reason: e.reason,
        actorId: e.actorId,
        at: e.at.toISOString(),
      })),
  );

  app.get(
    '/instances/:instanceId/events',
    {
      schema: {
        tags: ['instances'],
        summary: 'Live status and progress as Server-Sent Events (event: instance, data: the Instance as JSON)',
        description:
          'Sends the instance at once, then again after every change; each event’s data is the same Instance that ' +
          '`GET /instances/{instanceId}` returns. Ends when the instance settles (running or stopped as desired, failed, ' +
          'deleted), or after 15 minutes.',
        params: instanceParams,
        response: {
          200: {
            description: 'A `text/event-stream`; each event is described by InstanceUpdate.',
            content: { 'text/event-stream': { schema: instanceUpdateSchema } },
          },
        },
      },
      config: { access: anyMember },
    },
    async (request, reply) => {
      const id = request.params.instanceId;
      await instances.get(id);
      await serveLiveStream<InstanceDto>(request, reply, {
        hub,
        instanceId: id,
        event: 'instance' satisfies InstanceUpdate['event'],
        read: async () => {
          const row = await instances.find(id);
          return row ? dto(row) : null;
        },
        settled: isSettled,
      });
    },
  );

  const action = (name: 'start' | 'stop' | 'restart', summary: string) =>
    app.post(
      `/instances/:instanceId/${name}`,
      {
        schema: { tags: ['instances'], summary, params: instanceParams, response: { 202: instanceSchema } },
        config: { access: managers, audit: { action: `instance.${name}`, targetType: 'instance' } },
      },
      async (request, reply) => {
        const user = requireAuth(request);
        const id = request.params.instanceId;
        const instance =
          name === 'restart'
            ? await instances.restart(id, user)
            : await instances.setDesiredState(id, user, name === 'start' ? 'running' : 'stopped');
        return reply.status(202).send(dto(instance));
      },
    );
  action('start', 'Start a stopped instance');
  action('stop', 'Stop a running instance (its address shows a “stopped” page)');
  action('restart', 'Restart a running instance');

  app.delete(
    '/instances/:instanceId',
    {
      schema: {
        tags: ['instances'],
        summary: 'Delete the instance: container, network, storage, database and role',
        params: instanceParams,
        response: { 202: instanceSchema },
      },
      config: { access: managers, audit: { action: 'instance.delete', targetType: 'instance' } },
    },
    async (request, reply) => reply.status(202).send(dto(await instances.delete(request.params.instanceId, requireAuth(request)))),
  );

  app.get(
    '/instances/:instanceId/logs',
    {
      schema: {
        tags: ['instances'],
        summary: 'Odoo’s log (text); with follow=true the response streams new lines',
        params: instanceParams,
        querystring: z.object({
          tail: z.coerce.number().int().min(1).max(5000).default(200),
          follow: z.enum(['true', 'false']).default('false'),
        }),
        produces: ['text/plain'],
      },
      config: { access: managers },
    },
    async (request, reply) => {
      const stream = await instances.logs(request.params.instanceId, { tail: request.query.tail, follow: request.query.follow === 'true' });
      request.raw.on('close', () => stream.destroy());
      return reply.type('text/plain; charset=utf-8').header('x-accel-buffering', 'no').header('cache-control', 'no-cache').send(stream);
    },
  );

  app.get(
    '/instances/:instanceId/stats',
    {
      schema: { tags: ['instances'], summary: 'CPU, memory and disk use now', params: instanceParams, response: { 200: statsSchema } },
      config: { access: anyMember },
    },
    async (request) => instances.stats(request.params.instanceId),
  );

  app.post(
    '/instances/:instanceId/credentials',
    {
      schema: {
        tags: ['instances'],
        summary: 'Reveal the initial Odoo admin login once (410 afterwards)',
        params: instanceParams,
        response: { 200: credentialsSchema },
      },
      config: { access: ofInstance('owner'), sensitive: true, audit: { action: 'instance.reveal_credentials', targetType: 'instance' } },
    },
    async (request) => instances.revealCredentials(request.params.instanceId),
  );

  app.post(
    '/instances/:instanceId/admin-password',
    {
      schema: {
        tags: ['instances'],
        summary: 'Set a new random password for Odoo’s admin user and show it once',
        params: instanceParams,
        response: { 200: credentialsSchema },
      },
      config: { access: managers, sensitive: true, audit: { action: 'instance.reset_admin_password', targetType: 'instance' } },
    },
    async (request) => instances.resetAdminPassword(request.params.instanceId),
  );
};
