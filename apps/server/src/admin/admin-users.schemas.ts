import { z } from 'zod';
import { platformRoleSchema, userSchema } from '../auth/auth.schemas.js';
import type { UserRow } from '../auth/users.repo.js';
import { pageQuery } from '../http/route-helpers.js';
import { tenantRoleSchema } from '../tenants/tenants.schemas.js';

/** A query flag: `true` or `false` (z.coerce.boolean would read "false" as true). */
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const USER_SORTS = ['created', 'email', 'lastLogin'] as const;

export const adminUsersQuery = pageQuery.extend({
  q: z.string().trim().max(200).optional().describe('Part of the email address or name'),
  platformRole: z.enum(['admin', 'support', 'none']).optional().describe('`none`: users without a platform role'),
  disabled: flag.optional(),
  locked: flag.optional().describe('Locked out by failed logins right now'),
  twoFactor: flag.optional(),
  sort: z.enum(USER_SORTS).default('created'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type AdminUsersQuery = z.infer<typeof adminUsersQuery>;

export const adminUserSchema = userSchema
  .extend({
    disabled: z.boolean(),
    lockedUntil: z.iso.datetime().nullable(),
    lastLoginAt: z.iso.datetime().nullable().describe('When the user last started a session of their own (impersonation excluded)'),
  })
  .meta({ id: 'AdminUser' });

export const userParams = z.object({ userId: z.uuid() });

/** Why an operator does something to an account: shown in the audit trail (and to the tenant, for impersonation). */
export const reasonSchema = z.string().trim().min(10).max(500);

export const updateUserBody = z.object({
  disabled: z.boolean().optional(),
  platformRole: platformRoleSchema.nullable().optional(),
  reason: z.string().trim().max(500).optional().describe('Recorded in the audit trail; the dashboard always asks for one when disabling'),
});

export const reasonBody = z.object({ reason: reasonSchema });

export const adminSessionSchema = z
  .object({
    id: z.uuid(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    impersonation: z.object({ operatorId: z.uuid(), operatorEmail: z.string().nullable(), reason: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'AdminSession' });

export const adminUserDetailSchema = z
  .object({
    user: adminUserSchema,
    tenants: z.array(z.object({ id: z.uuid(), name: z.string(), role: tenantRoleSchema, joinedAt: z.iso.datetime() })),
    sessions: z.array(adminSessionSchema),
  })
  .meta({ id: 'AdminUserDetail' });

export const actionResultSchema = z
  .object({ message: z.string(), revokedSessions: z.number().int().optional() })
  .meta({ id: 'AdminActionResult' });

export const impersonateBody = z.object({
  reason: reasonSchema,
  minutes: z.number().int().min(5).max(60).default(30),
});

export const impersonationStartedSchema = z
  .object({
    sessionId: z.uuid(),
    expiresAt: z.iso.datetime(),
    url: z.string().describe('Opens the tenant app logged in as the user; holds a single-use code valid for two minutes'),
  })
  .meta({ id: 'ImpersonationStarted' });

export const toAdminUser = (row: UserRow & { lastLoginAt?: Date | string | null }): z.infer<typeof adminUserSchema> => ({
  id: row.id,
  email: row.email,
  name: row.name,
  emailVerified: Boolean(row.emailVerifiedAt),
  platformRole: row.platformRole,
  totpEnabled: Boolean(row.totpEnabledAt),
  createdAt: row.createdAt.toISOString(),
  disabled: Boolean(row.disabledAt),
  lockedUntil: row.lockedUntil && row.lockedUntil > new Date() ? row.lockedUntil.toISOString() : null,
  lastLoginAt: row.lastLoginAt ? new Date(row.lastLoginAt).toISOString() : null,
});
