import { and, asc, count, desc, eq, gte, ilike, lt, or, type SQL } from 'drizzle-orm';
import { escapeLike } from '../auth/users.repo.js';
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
  /** The actor or the target. */
  userId?: string | undefined;
  action?: string;
  /** Part of the actor's email address. */
  actorEmail?: string | undefined;
  result?: 'success' | 'failure' | undefined;
  /** From this instant (inclusive) to `to` (exclusive). */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Newest first unless `oldest`. */
  sort?: 'newest' | 'oldest' | undefined;
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
    if (query.userId) {
      const either = or(eq(auditLog.actorId, query.userId), eq(auditLog.targetId, query.userId));
      if (either) filters.push(either);
    }
    if (query.action) filters.push(eq(auditLog.action, query.action));
    if (query.actorEmail) filters.push(ilike(auditLog.actorEmail, `%${escapeLike(query.actorEmail)}%`));
    if (query.result) filters.push(eq(auditLog.result, query.result));
    if (query.from) filters.push(gte(auditLog.at, query.from));
    if (query.to) filters.push(lt(auditLog.at, query.to));
    const where = filters.length ? and(...filters) : undefined;
    // The id follows insertion order, as `at` does, and is unique: stable pages.
    const order = query.sort === 'oldest' ? asc(auditLog.id) : desc(auditLog.id);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(auditLog).where(where).orderBy(order).limit(query.limit).offset(query.offset),
      this.db.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }
}
