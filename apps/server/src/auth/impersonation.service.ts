import type { Redis } from 'ioredis';
import { AuditRepository } from '../audit/audit.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, notFound, unauthenticated } from '../errors/domain-error.js';
import type { ClientInfo } from '../http/route-helpers.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import type { AccessTokens } from './access-token.js';
import type { IssuedSession } from './auth.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { randomToken, sha256 } from './secrets.js';
import { SessionsRepository } from './sessions.repo.js';
import { UsersRepository } from './users.repo.js';

/** How long the link that opens the tenant app as the user may wait to be opened. */
export const HANDOFF_TTL_SECONDS = 120;

/**
 * Support impersonation (docs/admin.md): an operator gets a session of a customer's account without its
 * password. The session is created here with its operator and reason and a hard end; the operator's
 * browser receives it through a single-use code (only its SHA-256 is kept, in Redis) that the tenant app
 * exchanges for the usual refresh cookie on its own origin.
 */
export class ImpersonationService {
  constructor(private readonly deps: { db: Db; redis: Redis; tokens: AccessTokens; config: Config }) {}

  private key(code: string) {
    return `${this.deps.config.queuePrefix}:impersonation:${sha256(code)}`;
  }

  async start(operator: AuthenticatedUser, targetUserId: string, input: { reason: string; minutes: number }, client: ClientInfo) {
    const { db } = this.deps;
    const target = await new UsersRepository(db).findById(targetUserId);
    if (!target) throw notFound('User');
    if (target.platformRole || target.id === operator.userId) {
      throw conflict('cannot_impersonate_staff', 'Platform staff accounts cannot be impersonated.');
    }
    if (target.disabledAt) throw conflict('user_disabled', 'This account is disabled; enable it before impersonating it.');
    const expiresAt = new Date(Date.now() + input.minutes * 60_000);
    const code = randomToken();
    const { session, tenants } = await db.transaction(async (tx) => {
      const session = await new SessionsRepository(tx).create({
        userId: target.id,
        ip: client.ip,
        userAgent: client.userAgent,
        expiresAt,
        impersonatorId: operator.userId,
        impersonationReason: input.reason,
      });
      // Each tenant of the user sees in its own audit log that support acted as one of its people, and why.
      const tenants = await new TenantsRepository(tx).listForUser(target.id);
      const audit = new AuditRepository(tx);
      for (const tenant of tenants) {
        await audit.record({
          actorId: operator.userId,
          actorEmail: operator.email,
          tenantId: tenant.id,
          action: 'admin.impersonation_started',
          targetType: 'user',
          targetId: target.id,
          ip: client.ip,
          result: 'success',
          requestId: null,
          details: { reason: input.reason, targetEmail: target.email, sessionId: session.id, expiresAt: expiresAt.toISOString() },
        });
      }
      return { session, tenants };
    });
    await this.deps.redis.set(this.key(code), session.id, 'EX', HANDOFF_TTL_SECONDS);
    const url = `${this.deps.config.publicUrl}/impersonate#code=${code}`;
    return { session, target, tenants, url };
  }

  /** Trades a handoff code, once, for the impersonation session's tokens. */
  async exchange(code: string, client: ClientInfo): Promise<IssuedSession & { sessionId: string; impersonatorId: string }> {
    const sessionId = await this.deps.redis.getdel(this.key(code));
    const refused = unauthenticated('invalid_handoff', 'This link was already used or has expired. Start the impersonation again.');
    if (!sessionId) throw refused;
    const refreshToken = randomToken();
    const session = await this.deps.db.transaction(async (tx) => {
      const sessions = new SessionsRepository(tx);
      const found = await sessions.findImpersonation(sessionId);
      if (!found?.session.impersonatorId) return null;
      await sessions.addRefreshToken(sessionId, sha256(refreshToken));
      await sessions.touch(sessionId, client.ip);
      return found.session;
    });
    if (!session?.impersonatorId) throw refused;
    const access = await this.deps.tokens.issue(session.userId, session.id);
    return {
      ...access,
      refreshToken,
      refreshExpiresAt: session.expiresAt,
      userId: session.userId,
      sessionId: session.id,
      impersonatorId: session.impersonatorId,
    };
  }

  /** What the tenant app shows in its banner while an impersonation lasts. */
  async describe(sessionId: string) {
    const found = await new SessionsRepository(this.deps.db).findImpersonation(sessionId);
    if (!found) return null;
    return {
      operatorEmail: found.operatorEmail,
      reason: found.session.impersonationReason ?? '',
      expiresAt: found.session.expiresAt.toISOString(),
    };
  }
}
