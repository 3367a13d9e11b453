import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { access } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import { toInstanceDto } from '../instances/instance-dto.js';
import { instanceSchema, instanceStatusSchema, versionSchema } from '../instances/instances.schemas.js';
import type { VersionsService } from '../instances/versions.service.js';
import type { AdminService } from './admin.service.js';

const versionParams = z.object({ version: z.string().regex(/^[0-9][0-9a-z.]{0,15}$/i, 'a version like 18.0') });

const findingSchema = z.object({ kind: z.string(), target: z.string(), action: z.string(), detail: z.string().optional() });

export const adminInstancesRoutes: FastifyPluginAsyncZod<{
  config: Config;
  admin: AdminService;
  versions: VersionsService;
}> = async (app, { config, admin, versions }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/admin/instances',
    {
      schema: {
        tags: ['admin'],
        summary: 'All instances',
        querystring: pageQuery.extend({ status: instanceStatusSchema.optional() }),
        response: { 200: page(instanceSchema) },
      },
      config: { access: staff },
    },
    async (request) => {
      const [rows, total] = await admin.instances(request.query);
      return { items: rows.map((i) => toInstanceDto(config, i)), total };
    },
  );

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
