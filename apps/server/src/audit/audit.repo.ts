import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { auditLog } from './audit.tables.js';

export interface AuditEntryInput {
  actorId: string | null;
  actorEmail: string | null;
  tenantId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  result: 'success' | 'failure';
  statusCode?: number;
  requestId: string | null;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  tenantId?: string;
  actorId?: string;
  action?: string;
  limit: number;
  offset: number;
}

export class AuditRepository {
  constructor(private readonly db: DbOrTx) {}

  async record(entry: AuditEntryInput): Promise<void> {
    await this.db.insert(auditLog).values({
      ...entry,
      statusCode: entry.statusCode === undefined ? null : String(entry.statusCode),
      details: entry.details ?? null,
    });
  }

  async list(query: AuditQuery) {
    const filters: SQL[] = [];
    if (query.tenantId) filters.push(eq(auditLog.tenantId, query.tenantId));
    if (query.actorId) filters.push(eq(auditLog.actorId, query.actorId));
    if (query.action) filters.push(eq(auditLog.action, query.action));
    const where = filters.length ? and(...filters) : undefined;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(query.limit).offset(query.offset),
      this.db.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }
}
