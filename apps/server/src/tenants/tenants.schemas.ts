import { z } from 'zod';
import { emailSchema } from '../auth/auth.schemas.js';

export const tenantRoleSchema = z.enum(['owner', 'admin', 'member']);
export type TenantRole = z.infer<typeof tenantRoleSchema>;
/** Roles that can be given by invitation or role change; ownership moves only by transfer. */
export const assignableRoleSchema = z.enum(['admin', 'member']);

export const tenantNameSchema = z.string().trim().min(1).max(120);

export const tenantSummarySchema = z.object({ id: z.uuid(), name: z.string() }).meta({ id: 'TenantSummary' });

export const tenantSchema = z
  .object({ id: z.uuid(), name: z.string(), role: tenantRoleSchema, createdAt: z.iso.datetime() })
  .meta({ id: 'Tenant' });

export const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), name: z.string(), role: tenantRoleSchema, joinedAt: z.iso.datetime() })
  .meta({ id: 'Member' });

export const invitationSchema = z
  .object({ id: z.uuid(), email: z.string(), role: tenantRoleSchema, expiresAt: z.iso.datetime(), createdAt: z.iso.datetime() })
  .meta({ id: 'Invitation' });

export const tenantParams = z.object({ tenantId: z.uuid() });
export const memberParams = z.object({ tenantId: z.uuid(), userId: z.uuid() });
export const invitationParams = z.object({ tenantId: z.uuid(), invitationId: z.uuid() });

export const createTenantBody = z.object({ name: tenantNameSchema });
export const inviteBody = z.object({ email: emailSchema, role: assignableRoleSchema });
export const roleBody = z.object({ role: assignableRoleSchema });
export const transferBody = z.object({ userId: z.uuid() });
