import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { access } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import { tenantParams } from '../tenants/tenants.schemas.js';
import { auditEntrySchema } from './audit.schemas.js';
import type { AuditService } from './audit.service.js';

export const auditRoutes: FastifyPluginAsyncZod<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/tenants/:tenantId/audit-log',
    {
      schema: {
        tags: ['tenants'],
        summary: 'What happened in this tenant, newest first',
        params: tenantParams,
        querystring: pageQuery,
        response: { 200: page(auditEntrySchema) },
      },
      config: { access: access.tenant('owner', 'admin') },
    },
    async (request) => audit.list({ tenantId: request.params.tenantId, ...request.query }),
  );
};
