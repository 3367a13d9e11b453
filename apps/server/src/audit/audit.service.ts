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
}
