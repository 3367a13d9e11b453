import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, requireAuth } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import {
  instanceEventSchema,
  instanceParams,
  instanceSchema,
  instanceStatusSchema,
  versionSchema,
} from '../instances/instances.schemas.js';
import type { VersionsService } from '../instances/versions.service.js';
import type { AdminService } from './admin.service.js';
import { INSTANCE_SORTS } from './admin-instances.repo.js';
import type { AdminInstancesService } from './admin-instances.service.js';

const versionParams = z.object({ version: z.string().regex(/^[0-9][0-9a-z.]{0,15}$/i, 'a version like 18.0') });

const findingSchema = z.object({ kind: z.string(), target: z.string(), action: z.string(), detail: z.string().optional() });

const adminInstanceSchema = instanceSchema.extend({ tenantName: z.string() }).meta({ id: 'AdminInstance' });

const adminInstancesQuery = pageQuery.extend({
  status: instanceStatusSchema.optional(),
  tenantId: z.uuid().optional(),
  version: z.string().max(16).optional(),
  q: z.string().trim().max(100).optional().describe('Part of the slug'),
  sort: z.enum(INSTANCE_SORTS).default('created'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export const adminInstancesRoutes: FastifyPluginAsyncZod<{
  admin: AdminService;
  adminInstances: AdminInstancesService;
  versions: VersionsService;
}> = async (app, { admin, adminInstances, versions }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/admin/instances',
    {
      schema: {
        tags: ['admin'],
        summary: 'Instances of every tenant: filters (status, tenant, version, slug), sort and paging',
        querystring: adminInstancesQuery,
        response: { 200: page(adminInstanceSchema) },
      },
      config: { access: staff },
    },
    async (request) => adminInstances.list(request.query),
  );

  app.get(
    '/admin/instances/:instanceId',
    {
      schema: { tags: ['admin'], summary: 'One instance with its tenant', params: instanceParams, response: { 200: adminInstanceSchema } },
      config: { access: staff },
    },
    async (request) => adminInstances.get(request.params.instanceId),
  );

  app.get(
    '/admin/instances/:instanceId/history',
    {
      schema: {
        tags: ['admin'],
        summary: 'The instance’s status changes, oldest first',
        params: instanceParams,
        response: { 200: z.array(instanceEventSchema) },
      },
      config: { access: staff },
    },
    async (request) => adminInstances.history(request.params.instanceId),
  );

  app.get(
    '/admin/instances/:instanceId/findings',
    {
      schema: {
        tags: ['admin'],
        summary: 'What the reconciler found and did about the instance, newest first',
        params: instanceParams,
        response: { 200: z.array(findingSchema.extend({ runId: z.uuid(), at: z.iso.datetime() })) },
      },
      config: { access: staff },
    },
    async (request) => adminInstances.findings(request.params.instanceId),
  );

  app.get(
    '/admin/instances/:instanceId/logs',
    {
      schema: {
        tags: ['admin'],
        summary: 'The last lines of Odoo’s log, with values that look like secrets masked',
        params: instanceParams,
        querystring: z.object({ tail: z.coerce.number().int().min(1).max(2000).default(200) }),
        response: { 200: z.object({ text: z.string(), truncated: z.boolean() }).meta({ id: 'InstanceLogTail' }) },
      },
      config: { access: staff },
    },
    async (request) => adminInstances.logs(request.params.instanceId, request.query.tail),
  );

  for (const [action, summary] of [
    ['start', 'Start a stopped instance'],
    ['stop', 'Stop a running instance'],
    ['restart', 'Restart a running instance'],
    ['retry', 'Provision again an instance whose provisioning failed (409 not_retryable otherwise)'],
    ['delete', 'Delete the instance through the deletion workflow (its first step takes a final backup)'],
  ] as const) {
    app.post(
      `/admin/instances/:instanceId/${action}`,
      {
        schema: {
          tags: ['admin'],
          summary,
          params: instanceParams,
          body: z.object({ reason: z.string().trim().max(500).optional() }),
          response: { 202: adminInstanceSchema },
        },
        config: { access: admins, audit: { action: `admin.instance_${action}`, targetType: 'instance' } },
      },
      async (request, reply) => {
        const id = request.params.instanceId;
        const instance = await adminInstances.get(id);
        // The tenant's audit log shows what an operator did to its instance, and why.
        request.auditNote.tenantId = instance.tenantId;
        request.auditNote.details = { slug: instance.slug, reason: request.body.reason ?? null };
        await adminInstances.act(id, action, requireAuth(request));
        return reply.status(202).send(await adminInstances.get(id));
      },
    );
  }

  app.get(
    '/admin/odoo-versions',
    {
      schema: { tags: ['admin'], summary: 'The Odoo versions catalog', response: { 200: z.array(versionSchema) } },
      config: { access: staff },
    },
    async () => versions.listAll(),
  );

  app.put(
    '/admin/odoo-versions/:version',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add or change a version (image, enabled, default); a new image rebuilds its template',
        params: versionParams,
        body: z.object({
          image: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/i),
          enabled: z.boolean().default(true),
          isDefault: z.boolean().optional(),
        }),
        response: { 200: versionSchema },
      },
      config: { access: admins, audit: { action: 'admin.put_odoo_version', targetType: 'odoo_version' } },
    },
    async (request) => versions.put(request.params.version, request.body),
  );

  app.post(
    '/admin/odoo-versions/:version/template',
    {
      schema: {
        tags: ['admin'],
        summary: 'Rebuild the pre-initialized template of a version',
        params: versionParams,
        response: { 202: z.object({ queued: z.boolean() }) },
      },
      config: { access: admins, audit: { action: 'admin.rebuild_template', targetType: 'odoo_version' } },
    },
    async (request, reply) => {
      await versions.rebuildTemplate(request.params.version);
      return reply.status(202).send({ queued: true });
    },
  );

  app.get(
    '/admin/reconcile-runs',
    {
      schema: {
        tags: ['admin'],
        summary: 'What the reconciler found and did, newest first',
        querystring: pageQuery,
        response: {
          200: z.array(
            z.object({
              id: z.uuid(),
              startedAt: z.iso.datetime(),
              finishedAt: z.iso.datetime().nullable(),
              findings: z.array(findingSchema),
              error: z.string().nullable(),
            }),
          ),
        },
      },
      config: { access: staff },
    },
    async (request) => {
      const rows = await admin.reconcileRuns(request.query);
      return rows.map((r) => ({ ...r, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null }));
    },
  );
};
