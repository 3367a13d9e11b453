import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import { planCodeSchema, planLimitsSchema, planSchema, publicPlanSchema } from './plans.schemas.js';
import type { PlansService } from './plans.service.js';

const codeParams = z.object({ code: planCodeSchema });

/** The plan catalog: public for the pricing page and sign-up, managed by platform admins. */
export const plansRoutes: FastifyPluginAsyncZod<{ plans: PlansService }> = async (app, { plans }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/billing/plans',
    {
      schema: {
        tags: ['billing'],
        summary: 'The plans on offer, with their active prices (none: free)',
        response: { 200: z.array(publicPlanSchema) },
      },
      config: { access: access.public() },
    },
    async () => plans.listPublic(),
  );

  app.get(
    '/admin/plans',
    {
      schema: {
        tags: ['admin'],
        summary: 'Plans, their prices (old ones too) and their sync state',
        response: { 200: z.array(planSchema) },
      },
      config: { access: staff },
    },
    async () => plans.list(),
  );

  app.put(
    '/admin/plans/:code',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create or change a plan; a new amount is a new price, instances on the plan get the new limits',
        params: codeParams,
        body: planLimitsSchema,
        response: { 200: planSchema },
      },
      config: { access: admins, audit: { action: 'admin.put_plan', targetType: 'plan' } },
    },
    async (request) => plans.put(request.params.code, request.body),
  );

  app.post(
    '/admin/plans/:code/sync',
    {
      schema: {
        tags: ['admin'],
        summary: 'Sync a plan and its prices with the billing provider again (Stripe only)',
        params: codeParams,
        response: { 200: planSchema },
      },
      config: { access: admins, audit: { action: 'admin.sync_plan', targetType: 'plan' } },
    },
    async (request) => plans.sync(request.params.code),
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
      const result = await plans.setTenantPlan(request.params.tenantId, request.body.planCode);
      request.auditNote.tenantId = result.tenantId;
      return result;
    },
  );
};
