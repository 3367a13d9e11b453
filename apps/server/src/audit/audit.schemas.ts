import { z } from 'zod';
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
  })
  .meta({ id: 'AuditEntry' });

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
});
