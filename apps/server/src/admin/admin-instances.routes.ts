import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { access } from '../http/access.js';
import { notFound } from '../http/errors.js';
import { page, pageQuery } from '../http/route-helpers.js';
import { toInstanceDto } from '../instances/instance-dto.js';
import { enqueueInstanceJob } from '../instances/instance-jobs.js';
import { InstancesRepository, OdooVersionsRepository } from '../instances/instances.repo.js';
import { instanceSchema, instanceStatusSchema, versionSchema } from '../instances/instances.schemas.js';
import { instances, reconcileRuns } from '../instances/instances.tables.js';
import type { Queues } from '../jobs/queues.js';
import { plans } from '../tenants/plans.tables.js';
import { tenants } from '../tenants/tenants.tables.js';

const planSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    maxInstances: z.number().int(),
    memoryMb: z.number().int(),
    cpuMillis: z.number().int(),
    pids: z.number().int(),
    storageGb: z.number().int(),
    workers: z.number().int(),
  })
  .meta({ id: 'Plan' });

const versionParams = z.object({ version: z.string().regex(/^[0-9][0-9a-z.]{0,15}$/i, 'a version like 18.0') });

const findingSchema = z.object({ kind: z.string(), target: z.string(), action: z.string(), detail: z.string().optional() });

export const adminInstancesRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config; queues: Queues }> = async (
  app,
  { db, config, queues },
) => {
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
      const [rows, total] = await new InstancesRepository(db).listAll(request.query);
      return { items: rows.map((i) => toInstanceDto(config, i)), total };
    },
  );

  app.get(
    '/admin/odoo-versions',
    {
      schema: { tags: ['admin'], summary: 'The Odoo versions catalog', response: { 200: z.array(versionSchema) } },
      config: { access: staff },
    },
    async () => {
      const versions = new OdooVersionsRepository(db);
      return Promise.all(
        (await versions.list()).map(async (v) => ({ ...v, templateStatus: (await versions.template(v.version))?.status ?? null })),
      );
    },
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
    async (request) => {
      const versions = new OdooVersionsRepository(db);
      const { version } = request.params;
      const row = await versions.upsert(version, request.body);
      const template = await versions.template(version);
      if (row.enabled && (!template || template.image !== row.image)) {
        await queues.maintenance.add('build-template', { version }, { jobId: `build-template-${version}-${Date.now()}` });
      }
      return { ...row, templateStatus: (await versions.template(version))?.status ?? null };
    },
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
      if (!(await new OdooVersionsRepository(db).find(request.params.version))) throw notFound('Odoo version');
      await queues.maintenance.add(
        'build-template',
        { version: request.params.version },
        { jobId: `build-template-${request.params.version}-${Date.now()}` },
      );
      return reply.status(202).send({ queued: true });
    },
  );

  app.get(
    '/admin/plans',
    { schema: { tags: ['admin'], summary: 'Plans and their limits', response: { 200: z.array(planSchema) } }, config: { access: staff } },
    async () => db.select().from(plans).orderBy(plans.code),
  );

  app.put(
    '/admin/plans/:code',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create or change a plan; instances on it get the new limits',
        params: z.object({ code: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/) }),
        body: planSchema.omit({ code: true }).extend({
          maxInstances: z.number().int().min(0).max(1000),
          memoryMb: z.number().int().min(256).max(262_144),
          cpuMillis: z.number().int().min(100).max(64_000),
          pids: z.number().int().min(64).max(100_000),
          storageGb: z.number().int().min(1).max(10_000),
          workers: z.number().int().min(0).max(64),
        }),
        response: { 200: planSchema },
      },
      config: { access: admins, audit: { action: 'admin.put_plan', targetType: 'plan' } },
    },
    async (request) => {
      const values = { code: request.params.code, ...request.body };
      const [row] = await db.insert(plans).values(values).onConflictDoUpdate({ target: plans.code, set: request.body }).returning();
      await applyPlanLimits(db, queues, { planCode: request.params.code });
      return row as z.infer<typeof planSchema>;
    },
  );

  app.put(
    '/admin/tenants/:tenantId/plan',
    {
      schema: {
        tags: ['admin'],
        summary: 'Move a tenant to another plan; its instances get the plan’s limits',
        params: z.object({ tenantId: z.uuid() }),
        body: z.object({ planCode: z.string().max(40) }),
        response: { 200: z.object({ tenantId: z.uuid(), planCode: z.string() }) },
      },
      config: { access: admins, audit: { action: 'admin.set_tenant_plan', targetType: 'tenant' } },
    },
    async (request) => {
      const [plan] = await db.select().from(plans).where(eq(plans.code, request.body.planCode));
      if (!plan) throw notFound('Plan');
      const [tenant] = await db
        .update(tenants)
        .set({ planCode: plan.code, updatedAt: new Date() })
        .where(eq(tenants.id, request.params.tenantId))
        .returning();
      if (!tenant) throw notFound('Tenant');
      request.auditNote.tenantId = tenant.id;
      await applyPlanLimits(db, queues, { tenantId: tenant.id });
      return { tenantId: tenant.id, planCode: plan.code };
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
      const rows = await db
        .select()
        .from(reconcileRuns)
        .orderBy(desc(reconcileRuns.startedAt))
        .limit(request.query.limit)
        .offset(request.query.offset);
      return rows.map((r) => ({ ...r, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null }));
    },
  );
};

/** Copies plan limits onto the live instances concerned and asks the worker to apply them. */
async function applyPlanLimits(db: Db, queues: Queues, scope: { planCode?: string; tenantId?: string }) {
  const tenantFilter = scope.tenantId ? eq(tenants.id, scope.tenantId) : eq(tenants.planCode, scope.planCode ?? '');
  const rows = await db
    .select({ id: instances.id, plan: plans })
    .from(instances)
    .innerJoin(tenants, eq(tenants.id, instances.tenantId))
    .innerJoin(plans, eq(plans.code, tenants.planCode))
    .where(and(tenantFilter, ne(instances.status, 'deleted')));
  for (const row of rows) {
    const { plan } = row;
    await db
      .update(instances)
      .set({
        limits: { memoryMb: plan.memoryMb, cpuMillis: plan.cpuMillis, pids: plan.pids, storageGb: plan.storageGb, workers: plan.workers },
        updatedAt: sql`now()`,
      })
      .where(eq(instances.id, row.id));
    await enqueueInstanceJob(queues, row.id, 'update-limits', null);
  }
}
