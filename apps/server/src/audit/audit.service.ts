import type { Db } from '../db/client.js';
import { type AuditEntryInput, type AuditQuery, AuditRepository } from './audit.repo.js';
import { toAuditEntryDto } from './audit.schemas.js';

/** The audit trail: written for every audited request, read by tenants (their own) and operators (all). */
export class AuditService {
  private readonly repo: AuditRepository;

  constructor(db: Db) {
    this.repo = new AuditRepository(db);
  }

  record(entry: AuditEntryInput) {
    return this.repo.record(entry);
  }

  async list(query: AuditQuery) {
    const { rows, total } = await this.repo.list(query);
    return { items: rows.map(toAuditEntryDto), total };
  }

  /** The operators' search: `from`/`to` are days (whole, UTC) or instants. */
  adminList(query: Omit<AuditQuery, 'from' | 'to'> & { from?: string | undefined; to?: string | undefined }) {
    const { from, to, ...rest } = query;
    return this.list({ ...rest, from: from ? new Date(from) : undefined, to: to ? endOf(to) : undefined });
  }
}

/** A day's end is the next day's start (exclusive); an instant is itself. */
function endOf(dayOrInstant: string): Date {
  const at = new Date(dayOrInstant);
  if (/^\d{4}-\d{2}-\d{2}$/.test(dayOrInstant)) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}
