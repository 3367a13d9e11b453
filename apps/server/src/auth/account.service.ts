import type { Db } from '../db/client.js';
import { notFound } from '../errors/domain-error.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import { SessionsRepository } from './sessions.repo.js';
import { UsersRepository } from './users.repo.js';

/** A user's own account: profile, tenants and sessions. Password and two-factor changes live in AuthService and TotpService. */
export class AccountService {
  constructor(private readonly db: Db) {}

  async profile(userId: string) {
    const [user, tenants] = await Promise.all([
      new UsersRepository(this.db).findById(userId),
      new TenantsRepository(this.db).listForUser(userId),
    ]);
    if (!user) throw notFound('User');
    return { user, tenants: tenants.map(({ id, name, role }) => ({ id, name, role })) };
  }

  async rename(userId: string, name: string) {
    const user = await new UsersRepository(this.db).update(userId, { name });
    if (!user) throw notFound('User');
    return user;
  }

  sessions(userId: string) {
    return new SessionsRepository(this.db).listActive(userId);
  }

  async revokeSession(userId: string, sessionId: string) {
    const revoked = await new SessionsRepository(this.db).revoke(sessionId, 'revoked_by_user', userId);
    if (revoked.length === 0) throw notFound('Session');
  }
}
