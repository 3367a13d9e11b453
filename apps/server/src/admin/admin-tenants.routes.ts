import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, requireAuth } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import { tenantParams } from '../tenants/tenants.schemas.js';
import {
  adminTenantDetailSchema,
  adminTenantSchema,
  adminTenantsQuery,
  deleteTenantBody,
  operatorReasonSchema,
  suspensionResultSchema,
  tenantDeletionSchema,
} from './admin-tenants.schemas.js';
import type { AdminTenantsService } from './admin-tenants.service.js';

/** Operators' tenant screens: the list, one tenant's detail, suspension, resumption and deletion (the audit log is /admin/audit-log?tenantId=). */
export const adminTenantsRoutes: FastifyPluginAsyncZod<{ tenants: AdminTenantsService }> = async (app, { tenants }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/admin/tenants',
    {
      schema: {
        tags: ['admin'],
        summary: 'All tenants: search (name, owner email), filters, sort and paging',
        querystring: adminTenantsQuery,
        response: { 200: page(adminTenantSchema) },
      },
      config: { access: staff },
    },
    async (request) => tenants.list(request.query),
  );

  app.get(
    '/admin/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: 'One tenant: members, instances, subscription and invoices',
        params: tenantParams,
        response: { 200: adminTenantDetailSchema },
      },
      config: { access: staff },
    },
    async (request) => tenants.detail(request.params.tenantId),
  );

  app.post(
    '/admin/tenants/:tenantId/suspend',
    {
      schema: {
        tags: ['admin'],
        summary: 'Suspend the tenant (its instances stop, their addresses serve the suspended page); 409 if already suspended',
        params: tenantParams,
        body: z.object({ reason: operatorReasonSchema }),
        response: { 200: suspensionResultSchema },
      },
      config: { access: admins, audit: { action: 'admin.suspend_tenant', targetType: 'tenant' } },
    },
    async (request) => {
      request.auditNote.tenantId = request.params.tenantId;
      request.auditNote.details = { reason: request.body.reason };
      return tenants.suspend(request.params.tenantId, request.body.reason);
    },
  );

  app.post(
    '/admin/tenants/:tenantId/resume',
    {
      schema: {
        tags: ['admin'],
        summary: 'Lift an operator’s suspension (its instances go back to what their owner wanted); 409 if not suspended',
        params: tenantParams,
        body: z.object({ reason: operatorReasonSchema.optional() }),
        response: { 200: suspensionResultSchema },
      },
      config: { access: admins, audit: { action: 'admin.resume_tenant', targetType: 'tenant' } },
    },
    async (request) => {
      request.auditNote.tenantId = request.params.tenantId;
      request.auditNote.details = { reason: request.body.reason ?? null };
      return tenants.resume(request.params.tenantId);
    },
  );

  app.post(
    '/admin/tenants/:tenantId/delete',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Delete the tenant (confirmName must be its name, else 400 confirmation_mismatch): it is gone for its members, its instances are deleted after a final backup, invitations revoked, the subscription ended, owners mailed. Repeating it is safe and finishes an interrupted deletion.',
        params: tenantParams,
        body: deleteTenantBody,
        response: { 200: tenantDeletionSchema },
      },
      config: { access: admins, audit: { action: 'admin.delete_tenant', targetType: 'tenant' } },
    },
    async (request) => {
      request.auditNote.tenantId = request.params.tenantId;
      request.auditNote.details = { reason: request.body.reason };
      const result = await tenants.delete(request.params.tenantId, { ...request.body, actorId: requireAuth(request).userId });
      request.auditNote.details = {
        reason: request.body.reason,
        firstRequest: result.firstRequest,
        subscription: result.subscription,
        instances: result.instances,
      };
      return result;
    },
  );
};
