import { and, asc, count, desc, eq, ilike, isNotNull, isNull, notInArray, or, type SQL, sql } from 'drizzle-orm';
import { users } from '../auth/auth.tables.js';
import { escapeLike } from '../auth/users.repo.js';
import { type AccessState, billingAccounts, type SubscriptionStatus } from '../billing/billing.tables.js';
import type { DbOrTx } from '../db/client.js';
import { memberships, tenants } from '../tenants/tenants.tables.js';

export const TENANT_SORTS = ['created', 'name', 'members'] as const;
export type TenantSort = (typeof TENANT_SORTS)[number];

export interface TenantListQuery {
  limit: number;
  offset: number;
  /** Part of the tenant's name or of its owner's email. */
  q?: string | undefined;
  plan?: string | undefined;
  access?: AccessState | undefined;
  status?: SubscriptionStatus | undefined;
  /** Only tenants an operator suspended (true) or did not (false). */
  suspended?: boolean | undefined;
  sort?: TenantSort | undefined;
  order?: 'asc' | 'desc' | undefined;
  /** Only tenants an operator deleted (true); by default (false) they are hidden. */
  deleted?: boolean | undefined;
}

/** Subscription states with nothing left to end. */
export const ENDED_OR_NONE = ['none', 'canceled', 'incomplete_expired'] as const satisfies readonly SubscriptionStatus[];

const memberCount = sql<number>`(select count(*)::int from ${memberships} m where m.tenant_id = ${tenants.id})`;

/** The operators' queries over tenants: the filtered list and the operator's suspension. */
export class AdminTenantsRepository {
  constructor(private readonly db: DbOrTx) {}

  async list(query: TenantListQuery) {
    // The first owner of each tenant (one row per tenant, so the list never repeats one).
    const owner = this.db
      .selectDistinctOn([memberships.tenantId], { tenantId: memberships.tenantId, ownerId: users.id, ownerEmail: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.role, 'owner'))
      .orderBy(memberships.tenantId, asc(memberships.createdAt))
      .as('owner');
    const filters: SQL[] = [query.deleted ? isNotNull(tenants.deletedAt) : isNull(tenants.deletedAt)];
    if (query.q) {
      const like = `%${escapeLike(query.q)}%`;
      // Any owner's email matches (a tenant may have several owners), not only the one shown.
      const byOwner = sql`exists (select 1 from ${memberships} m join ${users} u on u.id = m.user_id
        where m.tenant_id = ${tenants.id} and m.role = 'owner' and u.email ilike ${like})`;
      filters.push(or(ilike(tenants.name, like), byOwner) as SQL);
    }
    if (query.plan) filters.push(eq(tenants.planCode, query.plan));
    if (query.access) filters.push(eq(billingAccounts.access, query.access));
    if (query.status) filters.push(eq(billingAccounts.status, query.status));
    if (query.suspended !== undefined) {
      filters.push(query.suspended ? isNotNull(billingAccounts.operatorSuspendedAt) : isNull(billingAccounts.operatorSuspendedAt));
    }
    const where = and(...filters);
    const direction = query.order === 'asc' ? asc : desc;
    const sortColumn = { created: tenants.createdAt, name: tenants.name, members: memberCount }[query.sort ?? 'created'];
    const [rows, [total]] = await Promise.all([
      this.db
        .select({
          id: tenants.id,
          name: tenants.name,
          planCode: tenants.planCode,
          createdAt: tenants.createdAt,
          ownerId: owner.ownerId,
          ownerEmail: owner.ownerEmail,
          memberCount,
          billingProvider: billingAccounts.provider,
          billingStatus: billingAccounts.status,
          billingAccess: billingAccounts.access,
          operatorSuspendedAt: billingAccounts.operatorSuspendedAt,
          deletedAt: tenants.deletedAt,
        })
        .from(tenants)
        .leftJoin(owner, eq(owner.tenantId, tenants.id))
        .leftJoin(billingAccounts, eq(billingAccounts.tenantId, tenants.id))
        .where(where)
        // The id breaks ties, so pages never repeat or skip a tenant.
        .orderBy(direction(sortColumn), direction(tenants.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ n: count() }).from(tenants).leftJoin(billingAccounts, eq(billingAccounts.tenantId, tenants.id)).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }

  account(tenantId: string) {
    return this.db.query.billingAccounts.findFirst({ where: eq(billingAccounts.tenantId, tenantId) });
  }

  /**
   * Ends a manual-provider subscription (the tenant's deletion): marked canceled unless it already ended or
   * never began. True when it changed; a Stripe subscription is not touched here.
   */
  async cancelManualSubscription(tenantId: string): Promise<boolean> {
    const rows = await this.db
      .update(billingAccounts)
      .set({ status: 'canceled', statusSince: new Date(), cancelAtPeriodEnd: false, updatedAt: new Date() })
      .where(
        and(
          eq(billingAccounts.tenantId, tenantId),
          eq(billingAccounts.provider, 'manual'),
          notInArray(billingAccounts.status, [...ENDED_OR_NONE]),
        ),
      )
      .returning({ tenantId: billingAccounts.tenantId });
    return rows.length === 1;
  }

  /** Sets or clears the operator's suspension; false when it already was in that state (a double request). */
  async setOperatorSuspension(tenantId: string, suspension: { at: Date; reason: string } | null): Promise<boolean> {
    const rows = await this.db
      .update(billingAccounts)
      .set({
        operatorSuspendedAt: suspension?.at ?? null,
        operatorSuspendReason: suspension?.reason ?? null,
        updatedAt: new Date(),
      })
      .where(
        and(
          eq(billingAccounts.tenantId, tenantId),
          suspension ? isNull(billingAccounts.operatorSuspendedAt) : isNotNull(billingAccounts.operatorSuspendedAt),
        ),
      )
      .returning({ tenantId: billingAccounts.tenantId });
    return rows.length === 1;
  }
}
