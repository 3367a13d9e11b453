import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type DbOrTx, prepared } from '../db/client.js';
import { memberships, tenants } from '../tenants/tenants.tables.js';
import { refreshTokens, sessions, users } from './auth.tables.js';

export class SessionsRepository {
  constructor(private readonly db: DbOrTx) {}

  async create(values: {
    userId: string;
    ip: string | null;
    userAgent: string | null;
    expiresAt: Date;
    impersonatorId?: string;
    impersonationReason?: string;
  }) {
    const [row] = await this.db.insert(sessions).values(values).returning();
    if (!row) throw new Error('session insert returned nothing');
    return row;
  }

  async addRefreshToken(sessionId: string, tokenHash: string) {
    await this.db.insert(refreshTokens).values({ sessionId, tokenHash });
  }

  findRefreshToken(tokenHash: string) {
    return this.db
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .then((rows) => rows[0]);
  }

  /** Marks a refresh token used. False when it had already been used: that is reuse. */
  async markRotated(tokenId: string): Promise<boolean> {
    const rows = await this.db
      .update(refreshTokens)
      .set({ rotatedAt: new Date() })
      .where(and(eq(refreshTokens.id, tokenId), isNull(refreshTokens.rotatedAt)))
      .returning({ id: refreshTokens.id });
    return rows.length === 1;
  }

  touch(sessionId: string, ip: string | null) {
    return this.db.update(sessions).set({ lastUsedAt: new Date(), ip }).where(eq(sessions.id, sessionId));
  }

  revoke(sessionId: string, reason: string, userId?: string) {
    const where = userId ? and(eq(sessions.id, sessionId), eq(sessions.userId, userId)) : eq(sessions.id, sessionId);
    return this.db
      .update(sessions)
      .set({ revokedAt: new Date(), revokeReason: reason })
      .where(and(where, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
  }

  revokeAllForUser(userId: string, reason: string, exceptSessionId?: string) {
    const conditions = [eq(sessions.userId, userId), isNull(sessions.revokedAt)];
    if (exceptSessionId) conditions.push(ne(sessions.id, exceptSessionId));
    return this.db
      .update(sessions)
      .set({ revokedAt: new Date(), revokeReason: reason })
      .where(and(...conditions));
  }

  listActive(userId: string) {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt));
  }

  /** A live impersonation session with its operator's address (null: not one, or over). */
  findImpersonation(sessionId: string) {
    const operator = alias(users, 'operator');
    return this.db
      .select({ session: sessions, operatorEmail: operator.email })
      .from(sessions)
      .innerJoin(operator, eq(operator.id, sessions.impersonatorId))
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .then((rows) => rows[0] ?? null);
  }

  /**
   * The user behind a live session, for authenticating a request; given a tenant, the same query finds
   * their role there (null: not a member). A prepared statement: it runs on every authenticated request.
   */
  findLiveUser(sessionId: string, userId: string, tenantId: string | null = null) {
    return prepared(this.db, 'auth_live_user', liveUserQuery)
      .execute({ sessionId, userId, tenantId, now: new Date() })
      .then((rows) => rows[0]);
  }
}

const impersonator = alias(users, 'impersonator');

function liveUserQuery(db: DbOrTx, name: string) {
  return db
    .select({
      userId: users.id,
      email: users.email,
      platformRole: users.platformRole,
      emailVerifiedAt: users.emailVerifiedAt,
      totpEnabledAt: users.totpEnabledAt,
      disabledAt: users.disabledAt,
      tenantRole: memberships.role,
      // Support impersonation: the operator, who must still be staff for the session to stay live (docs/admin.md).
      impersonatorId: impersonator.id,
      impersonatorEmail: impersonator.email,
      impersonatorRole: impersonator.platformRole,
      impersonatorDisabledAt: impersonator.disabledAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(impersonator, eq(impersonator.id, sessions.impersonatorId))
    .leftJoin(
      memberships,
      and(
        eq(memberships.userId, sessions.userId),
        eq(memberships.tenantId, sql.placeholder('tenantId')),
        // The one membership check of every tenant-scoped route: a deleted tenant has no members (docs/admin.md#tenants).
        sql`exists (select 1 from ${tenants} where ${tenants.id} = ${memberships.tenantId} and ${tenants.deletedAt} is null)`,
      ),
    )
    .where(
      and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare(name);
}
