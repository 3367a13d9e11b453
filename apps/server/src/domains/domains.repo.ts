import { and, asc, count, eq, inArray, isNotNull, isNull, lt, ne, or } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { customDomains, type DomainStatus } from './domains.tables.js';

export type CustomDomainRow = typeof customDomains.$inferSelect;

export class DomainsRepository {
  constructor(private readonly db: DbOrTx) {}

  findById(id: string) {
    return this.db.query.customDomains.findFirst({ where: eq(customDomains.id, id) });
  }

  /** A domain of one instance (null when it belongs to another or does not exist). */
  findForInstance(instanceId: string, id: string) {
    return this.db.query.customDomains.findFirst({ where: and(eq(customDomains.id, id), eq(customDomains.instanceId, instanceId)) });
  }

  /** Every tenant's claim on a name (pending ones included). */
  claimsOn(domain: string) {
    return this.db.select().from(customDomains).where(eq(customDomains.domain, domain));
  }

  /**
   * The verified claim holding a name (checking its certificate or active), other than `exceptId`.
   * Mirrors the partial unique index custom_domains_verified_domain_key.
   */
  verifiedClaim(domain: string, exceptId?: string) {
    return this.db.query.customDomains.findFirst({
      where: and(
        eq(customDomains.domain, domain),
        isNotNull(customDomains.verifiedAt),
        ne(customDomains.status, 'failed'),
        exceptId ? ne(customDomains.id, exceptId) : undefined,
      ),
    });
  }

  /** Drops the other claims on a name that never won it (pending, being checked, or failed). */
  removeUnverifiedClaims(domain: string, exceptId: string) {
    return this.db
      .delete(customDomains)
      .where(
        and(
          eq(customDomains.domain, domain),
          ne(customDomains.id, exceptId),
          or(isNull(customDomains.verifiedAt), eq(customDomains.status, 'failed')),
        ),
      )
      .returning();
  }

  /** Drops claims created before `before` that never became active and are not being checked now. */
  removeStaleClaims(before: Date) {
    return this.db
      .delete(customDomains)
      .where(
        and(
          inArray(customDomains.status, ['pending_dns', 'failed']),
          isNull(customDomains.activatedAt),
          lt(customDomains.createdAt, before),
        ),
      )
      .returning();
  }

  listForInstance(instanceId: string) {
    return this.db.select().from(customDomains).where(eq(customDomains.instanceId, instanceId)).orderBy(asc(customDomains.createdAt));
  }

  /** Host names the edge routes to the instance (verified and, in TLS mode, certified). */
  activeHosts(instanceId: string): Promise<string[]> {
    return this.db
      .select({ domain: customDomains.domain })
      .from(customDomains)
      .where(and(eq(customDomains.instanceId, instanceId), eq(customDomains.status, 'active')))
      .orderBy(asc(customDomains.createdAt))
      .then((rows) => rows.map((r) => r.domain));
  }

  countForInstance(instanceId: string) {
    return this.db
      .select({ n: count() })
      .from(customDomains)
      .where(eq(customDomains.instanceId, instanceId))
      .then((r) => r[0]?.n ?? 0);
  }

  async insert(values: typeof customDomains.$inferInsert) {
    const [row] = await this.db.insert(customDomains).values(values).returning();
    if (!row) throw new Error('domain insert returned nothing');
    return row;
  }

  async update(id: string, values: Partial<typeof customDomains.$inferInsert>) {
    const [row] = await this.db
      .update(customDomains)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(customDomains.id, id))
      .returning();
    return row ?? null;
  }

  /** Moves a domain to `to` if it is in one of `from`; null when someone else moved it first. */
  async transition(id: string, from: DomainStatus[], to: DomainStatus, values: Partial<typeof customDomains.$inferInsert> = {}) {
    const [row] = await this.db
      .update(customDomains)
      .set({ ...values, status: to, updatedAt: new Date() })
      .where(and(eq(customDomains.id, id), inArray(customDomains.status, from)))
      .returning();
    return row ?? null;
  }

  async remove(id: string) {
    const [row] = await this.db.delete(customDomains).where(eq(customDomains.id, id)).returning();
    return row ?? null;
  }

  removeForInstance(instanceId: string) {
    return this.db.delete(customDomains).where(eq(customDomains.instanceId, instanceId)).returning();
  }
}
