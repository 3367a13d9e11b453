import { asc, eq, inArray, lt } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { IssuedCertificate } from '../edge/acme-issuer.js';
import { certificates } from './certificates.tables.js';

export type CertificateRow = typeof certificates.$inferSelect;

export class CertificatesRepository {
  constructor(private readonly db: DbOrTx) {}

  /** Soonest expiry first. */
  list() {
    return this.db.select().from(certificates).orderBy(asc(certificates.notAfter));
  }

  byNames(names: string[]) {
    if (names.length === 0) return Promise.resolve([] as CertificateRow[]);
    return this.db.select().from(certificates).where(inArray(certificates.name, names));
  }

  /** Certificates that expire before `before`, soonest first: the renewal job's work. */
  expiringBefore(before: Date) {
    return this.db.select().from(certificates).where(lt(certificates.notAfter, before)).orderBy(asc(certificates.notAfter));
  }

  /** Records a certificate just issued or renewed (status valid, error cleared). */
  async saveIssued(cert: IssuedCertificate, meta: { kind: CertificateRow['kind']; domainId?: string | null }) {
    const now = new Date();
    const values = {
      kind: meta.kind,
      domainId: meta.domainId ?? null,
      domains: cert.domains,
      serial: cert.serial,
      issuer: cert.issuer,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      status: 'valid' as const,
      lastError: null,
      lastAttemptAt: now,
      issuedAt: now,
      updatedAt: now,
    };
    const [row] = await this.db
      .insert(certificates)
      .values({ name: cert.name, ...values })
      .onConflictDoUpdate({ target: certificates.name, set: values })
      .returning();
    if (!row) throw new Error('certificate upsert returned nothing');
    return row;
  }

  markFailed(name: string, error: string) {
    const now = new Date();
    return this.db
      .update(certificates)
      .set({ status: 'renewal_failed', lastError: error, lastAttemptAt: now, updatedAt: now })
      .where(eq(certificates.name, name));
  }

  remove(name: string) {
    return this.db.delete(certificates).where(eq(certificates.name, name));
  }
}
