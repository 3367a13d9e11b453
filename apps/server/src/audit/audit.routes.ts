import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../db/client.js';
import { access } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import { tenantParams } from '../tenants/tenants.schemas.js';
import { AuditRepository } from './audit.repo.js';
import { auditEntrySchema, toAuditEntryDto } from './audit.schemas.js';

export const auditRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
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
    async (request) => {
      const { rows, total } = await new AuditRepository(db).list({ tenantId: request.params.tenantId, ...request.query });
      return { items: rows.map(toAuditEntryDto), total };
    },
  );
};
