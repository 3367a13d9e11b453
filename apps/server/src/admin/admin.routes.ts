import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminAuditQuery, auditEntrySchema } from '../audit/audit.schemas.js';
import type { AuditService } from '../audit/audit.service.js';
import { access } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import type { AdminService } from './admin.service.js';

// Users: admin-users.routes.ts.

export const adminRoutes: FastifyPluginAsyncZod<{ admin: AdminService; audit: AuditService }> = async (app, { admin, audit }) => {
  const staff = access.platform('admin', 'support');

  app.get(
    '/admin/overview',
    {
      schema: {
        tags: ['admin'],
        summary: 'Platform counts',
        response: { 200: z.object({ users: z.number().int(), tenants: z.number().int() }) },
      },
      config: { access: staff },
    },
    async () => admin.overview(),
  );

  app.get(
    '/admin/audit-log',
    {
      schema: {
        tags: ['admin'],
        summary: 'The platform’s audit log, filtered, newest (or oldest) first',
        querystring: adminAuditQuery,
        response: { 200: page(auditEntrySchema) },
      },
      config: { access: staff },
    },
    async (request) => audit.adminList(request.query),
  );
};
