import { and, asc, count, desc, eq, gt, ilike, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { sessions, users } from '../auth/auth.tables.js';
import { escapeLike } from '../auth/users.repo.js';
import type { DbOrTx } from '../db/client.js';
import { memberships, tenants } from '../tenants/tenants.tables.js';
import type { AdminUsersQuery } from './admin-users.schemas.js';

/**
 * The last session the user started themselves (an operator's impersonation is not their login). Written
 * out with table names: drizzle leaves columns unqualified in a one-table select, which would bind
 * "id" to the sessions' own id inside the subquery.
 */
const lastLoginAt = sql<Date | null>`(
  select max(s.created_at) from sessions s where s.user_id = "users"."id" and s.impersonator_id is null
)`.mapWith(sessions.createdAt);

/** The operators' queries over users: search, filters, sorts, and what the detail page shows. */
export class AdminUsersRepository {
  constructor(private readonly db: DbOrTx) {}

  async search(query: AdminUsersQuery) {
    const filters: SQL[] = [];
    if (query.q) {
      const term = `%${escapeLike(query.q)}%`;
      const match = or(ilike(users.email, term), ilike(users.name, term));
      if (match) filters.push(match);
    }
    if (query.platformRole === 'none') filters.push(isNull(users.platformRole));
    else if (query.platformRole) filters.push(eq(users.platformRole, query.platformRole));
    if (query.disabled !== undefined) filters.push(query.disabled ? isNotNull(users.disabledAt) : isNull(users.disabledAt));
    if (query.twoFactor !== undefined) filters.push(query.twoFactor ? isNotNull(users.totpEnabledAt) : isNull(users.totpEnabledAt));
    if (query.locked !== undefined) {
      const now = new Date();
      filters.push(query.locked ? gt(users.lockedUntil, now) : (or(isNull(users.lockedUntil), sql`${users.lockedUntil} <= ${now}`) as SQL));
    }
    const where = filters.length ? and(...filters) : undefined;
    const direction = query.order === 'asc' ? asc : desc;
    const key = query.sort === 'email' ? sql`lower(${users.email})` : query.sort === 'lastLogin' ? lastLoginAt : users.createdAt;
    // Users never logged in sort last either way; the id breaks ties so pages never overlap.
    const order = query.sort === 'lastLogin' ? sql`${direction(key)} nulls last` : direction(key);
    const [rows, [total]] = await Promise.all([
      this.db
        .select({ user: users, lastLoginAt })
        .from(users)
        .where(where)
        .orderBy(order, asc(users.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ n: count() }).from(users).where(where),
    ]);
    return { rows: rows.map((r) => ({ ...r.user, lastLoginAt: r.lastLoginAt })), total: total?.n ?? 0 };
  }

  async findWithLastLogin(userId: string) {
    const [row] = await this.db.select({ user: users, lastLoginAt }).from(users).where(eq(users.id, userId));
    return row ? { ...row.user, lastLoginAt: row.lastLoginAt } : undefined;
  }

  memberships(userId: string) {
    return this.db
      .select({ id: tenants.id, name: tenants.name, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt));
  }

  /** Live sessions, newest use first, each with the operator behind it when it is an impersonation. */
  activeSessions(userId: string) {
    const operator = alias(users, 'operator');
    return this.db
      .select({ session: sessions, operatorEmail: operator.email })
      .from(sessions)
      .leftJoin(operator, eq(operator.id, sessions.impersonatorId))
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt));
  }
}
