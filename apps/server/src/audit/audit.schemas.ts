import { z } from 'zod';
import { pageQuery } from '../http/route-helpers.js';
import type { auditLog } from './audit.tables.js';

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.iso.datetime(),
    actor: z.object({ id: z.uuid().nullable(), email: z.string().nullable() }).nullable(),
    tenantId: z.uuid().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    result: z.enum(['success', 'failure']),
    statusCode: z.number().int().nullable(),
    requestId: z.string().nullable(),
    /** The operator behind the actor when the request came from a support impersonation session. */
    impersonator: z.object({ id: z.string(), email: z.string().nullable() }).nullable(),
    /** Why an operator did it (operator actions that ask for a reason). */
    reason: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

const text = (value: unknown) => (typeof value === 'string' ? value : null);

export const toAuditEntryDto = (row: typeof auditLog.$inferSelect): z.infer<typeof auditEntrySchema> => ({
  id: row.id,
  at: row.at.toISOString(),
  actor: row.actorId || row.actorEmail ? { id: row.actorId, email: row.actorEmail } : null,
  tenantId: row.tenantId,
  action: row.action,
  targetType: row.targetType,
  targetId: row.targetId,
  ip: row.ip,
  result: row.result,
  statusCode: row.statusCode ? Number(row.statusCode) : null,
  requestId: row.requestId,
  impersonator: text(row.details?.impersonatorId)
    ? { id: String(row.details?.impersonatorId), email: text(row.details?.impersonatorEmail) }
    : null,
  reason: text(row.details?.reason),
});

/** A day (the whole of it, UTC) or an exact instant. */
const dayOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** The operators' audit log filters (GET /admin/audit-log). */
export const adminAuditQuery = pageQuery.extend({
  tenantId: z.uuid().optional(),
  actorId: z.uuid().optional(),
  userId: z.uuid().optional().describe('Rows where this user is the actor or the target (a user’s trail)'),
  actorEmail: z.string().trim().min(1).max(200).optional().describe('Part of the actor’s email address'),
  action: z.string().max(100).optional(),
  result: z.enum(['success', 'failure']).optional(),
  from: dayOrInstant.optional().describe('From this day (its start, UTC) or instant'),
  to: dayOrInstant.optional().describe('Up to this day (its end, UTC; inclusive) or instant (exclusive)'),
  sort: z.enum(['newest', 'oldest']).default('newest'),
});
