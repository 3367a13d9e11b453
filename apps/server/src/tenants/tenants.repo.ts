import { and, asc, count, desc, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { users } from '../auth/auth.tables.js';
import { BillingAccountsRepository, type NewTenantBilling } from '../billing/billing-accounts.repo.js';
import type { DbOrTx } from '../db/client.js';
import type { TenantRole } from './tenants.schemas.js';
import { invitations, memberships, tenants } from './tenants.tables.js';

export class TenantsRepository {
  constructor(private readonly db: DbOrTx) {}

  /** A tenant, its owner and its billing account (call it in a transaction: all three or nothing). */
  async create(name: string, ownerId: string, billing: NewTenantBilling) {
    const [tenant] = await this.db.insert(tenants).values({ name, planCode: billing.planCode }).returning();
    if (!tenant) throw new Error('tenant insert returned nothing');
    await this.db.insert(memberships).values({ tenantId: tenant.id, userId: ownerId, role: 'owner' });
    await new BillingAccountsRepository(this.db).createInitial(tenant.id, billing);
    return tenant;
  }

  findById(id: string) {
    return this.db.query.tenants.findFirst({ where: eq(tenants.id, id) });
  }

  async rename(id: string, name: string) {
    const [row] = await this.db.update(tenants).set({ name, updatedAt: new Date() }).where(eq(tenants.id, id)).returning();
    return row ?? null;
  }

  async setPlan(id: string, planCode: string) {
    const [row] = await this.db.update(tenants).set({ planCode, updatedAt: new Date() }).where(eq(tenants.id, id)).returning();
    return row ?? null;
  }

  roleOf(tenantId: string, userId: string): Promise<TenantRole | null> {
    return this.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
      .then((rows) => rows[0]?.role ?? null);
  }

  /** Deleted tenants are gone for their members (the access check refuses them the same way). */
  listForUser(userId: string) {
    return this.db
      .select({ id: tenants.id, name: tenants.name, role: memberships.role, createdAt: tenants.createdAt })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(and(eq(memberships.userId, userId), isNull(tenants.deletedAt)))
      .orderBy(asc(tenants.createdAt));
  }

  members(tenantId: string) {
    return this.db
      .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.tenantId, tenantId))
      .orderBy(asc(memberships.createdAt));
  }

  async addMember(tenantId: string, userId: string, role: TenantRole) {
    const rows = await this.db.insert(memberships).values({ tenantId, userId, role }).onConflictDoNothing().returning();
    return rows.length === 1;
  }

  async setRole(tenantId: string, userId: string, role: TenantRole) {
    const rows = await this.db
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
      .returning();
    return rows.length === 1;
  }

  async removeMember(tenantId: string, userId: string) {
    const rows = await this.db
      .delete(memberships)
      .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)))
      .returning();
    return rows.length === 1;
  }

  /** Tenants in use (an operator's deleted ones are not counted). */
  count() {
    return this.db
      .select({ n: count() })
      .from(tenants)
      .where(isNull(tenants.deletedAt))
      .then((rows) => rows[0]?.n ?? 0);
  }

  /** Marks the tenant deleted; null when it already was (its deletion is then only resumed). */
  async markDeleted(id: string, reason: string) {
    const [row] = await this.db
      .update(tenants)
      .set({ deletedAt: new Date(), deletionReason: reason, updatedAt: new Date() })
      .where(and(eq(tenants.id, id), isNull(tenants.deletedAt)))
      .returning();
    return row ?? null;
  }
}

export class InvitationsRepository {
  constructor(private readonly db: DbOrTx) {}

  /** Closes expired invitations of an address, so they no longer block a new one. */
  async closeExpired(tenantId: string, email: string) {
    await this.db
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(invitations.tenantId, tenantId),
          eq(sql`lower(${invitations.email})`, email.toLowerCase()),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          lte(invitations.expiresAt, new Date()),
        ),
      );
  }

  /** Null when an open invitation for that address already exists. */
  async create(values: { tenantId: string; email: string; role: TenantRole; tokenHash: string; invitedBy: string; expiresAt: Date }) {
    const [row] = await this.db.insert(invitations).values(values).onConflictDoNothing().returning();
    return row ?? null;
  }

  listOpen(tenantId: string) {
    return this.db
      .select()
      .from(invitations)
      .where(
        and(
          eq(invitations.tenantId, tenantId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, new Date()),
        ),
      )
      .orderBy(desc(invitations.createdAt));
  }

  async revoke(tenantId: string, id: string) {
    const rows = await this.db
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.id, id), eq(invitations.tenantId, tenantId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning();
    return rows.length === 1;
  }

  /** Revokes every open invitation of the tenant (its deletion); returns how many. */
  async revokeAllOpen(tenantId: string) {
    const rows = await this.db
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.tenantId, tenantId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    return rows.length;
  }

  findOpenByToken(tokenHash: string) {
    return this.db
      .select({ invitation: invitations, tenantName: tenants.name })
      .from(invitations)
      .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
      .where(
        and(
          eq(invitations.tokenHash, tokenHash),
          isNull(tenants.deletedAt),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, new Date()),
        ),
      )
      .then((rows) => rows[0]);
  }

  async markAccepted(id: string) {
    const rows = await this.db
      .update(invitations)
      .set({ acceptedAt: new Date() })
      .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt)))
      .returning();
    return rows.length === 1;
  }
}
