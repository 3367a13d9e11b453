import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditEntrySchema } from '../audit/audit.schemas.js';
import type { AuditService } from '../audit/audit.service.js';
import { platformRoleSchema, toUserDto, userSchema } from '../auth/auth.schemas.js';
import { ACCESS_STATES, BILLING_PROVIDERS, SUBSCRIPTION_STATUSES } from '../billing/billing.tables.js';
import { access, requireAuth } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import type { AdminService } from './admin.service.js';

const adminUserSchema = userSchema.extend({ disabled: z.boolean(), lockedUntil: z.iso.datetime().nullable() }).meta({ id: 'AdminUser' });

const adminTenantSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    planCode: z.string(),
    createdAt: z.iso.datetime(),
    memberCount: z.number().int(),
    owner: z.object({ id: z.uuid(), email: z.string() }).nullable(),
    /** How the tenant pays and the state of its subscription (null only for a tenant without an account). */
    billing: z
      .object({ provider: z.enum(BILLING_PROVIDERS), status: z.enum(SUBSCRIPTION_STATUSES), access: z.enum(ACCESS_STATES) })
      .nullable(),
  })
  .meta({ id: 'AdminTenant' });

const searchQuery = pageQuery.extend({ q: z.string().trim().max(200).optional() });

export const adminRoutes: FastifyPluginAsyncZod<{ admin: AdminService; audit: AuditService }> = async (app, { admin, audit }) => {
  const staff = access.platform('admin', 'support');

  const toAdminUser = (row: Parameters<typeof toUserDto>[0]) => ({
    ...toUserDto(row),
    disabled: Boolean(row.disabledAt),
    lockedUntil: row.lockedUntil && row.lockedUntil > new Date() ? row.lockedUntil.toISOString() : null,
  });

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
    '/admin/users',
    {
      schema: { tags: ['admin'], summary: 'All users', querystring: searchQuery, response: { 200: page(adminUserSchema) } },
      config: { access: staff },
    },
    async (request) => {
      const { rows, total } = await admin.users(request.query);
      return { items: rows.map(toAdminUser), total };
    },
  );

  app.patch(
    '/admin/users/:userId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Disable or enable a user, or change their platform role',
        params: z.object({ userId: z.uuid() }),
        body: z.object({ disabled: z.boolean().optional(), platformRole: platformRoleSchema.nullable().optional() }),
        response: { 200: adminUserSchema },
      },
      config: { access: access.platform('admin'), audit: { action: 'admin.update_user', targetType: 'user' } },
    },
    async (request) => {
      request.auditNote.details = request.body;
      return toAdminUser(await admin.updateUser(requireAuth(request).userId, request.params.userId, request.body));
    },
  );

  app.get(
    '/admin/tenants',
    {
      schema: { tags: ['admin'], summary: 'All tenants', querystring: searchQuery, response: { 200: page(adminTenantSchema) } },
      config: { access: staff },
    },
    async (request) => {
      const { rows, total } = await admin.tenants(request.query);
      return {
        items: rows.map((t) => ({
          id: t.id,
          name: t.name,
          planCode: t.planCode,
          createdAt: t.createdAt.toISOString(),
          memberCount: Number(t.memberCount),
          owner: t.ownerId && t.ownerEmail ? { id: t.ownerId, email: t.ownerEmail } : null,
          billing:
            t.billingProvider && t.billingStatus && t.billingAccess
              ? { provider: t.billingProvider, status: t.billingStatus, access: t.billingAccess }
              : null,
        })),
        total,
      };
    },
  );

  app.get(
    '/admin/audit-log',
    {
      schema: {
        tags: ['admin'],
        summary: 'The platform’s audit log, newest first',
        querystring: pageQuery.extend({
          tenantId: z.uuid().optional(),
          actorId: z.uuid().optional(),
          action: z.string().max(100).optional(),
        }),
        response: { 200: page(auditEntrySchema) },
      },
      config: { access: staff },
    },
    async (request) => audit.list(request.query),
  );
};
