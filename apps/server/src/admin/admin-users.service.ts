import type { PlatformRole } from '../auth/auth.schemas.js';
import type { AuthService } from '../auth/auth.service.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { RecoveryCodesRepository } from '../auth/email-tokens.repo.js';
import type { ImpersonationService } from '../auth/impersonation.service.js';
import { SessionsRepository } from '../auth/sessions.repo.js';
import { UsersRepository } from '../auth/users.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, notFound } from '../errors/domain-error.js';
import type { ClientInfo } from '../http/route-helpers.js';
import type { MailService } from '../mail/mail.service.js';
import { mailTemplates } from '../mail/templates.js';
import { AdminUsersRepository } from './admin-users.repo.js';
import type { AdminUsersQuery } from './admin-users.schemas.js';

const refuseSelf = () => conflict('cannot_change_self', 'Use your own account settings for this; operators cannot act on themselves here.');

/**
 * What operators see of users and do to them (docs/admin.md): search, the detail page, disable and
 * enable, force logout, reset two-factor, send a password reset, and support impersonation.
 * Passwords are never shown or set here: a reset always goes through the user's mailbox.
 */
export class AdminUsersService {
  constructor(
    private readonly deps: { db: Db; config: Config; auth: AuthService; mail: MailService; impersonation: ImpersonationService },
  ) {}

  private get repo() {
    return new AdminUsersRepository(this.deps.db);
  }

  list(query: AdminUsersQuery) {
    return this.repo.search(query);
  }

  async detail(userId: string) {
    const user = await this.repo.findWithLastLogin(userId);
    if (!user) throw notFound('User');
    const [tenants, sessions] = await Promise.all([this.repo.memberships(userId), this.repo.activeSessions(userId)]);
    return { user, tenants, sessions };
  }

  /** Disables or enables a user, or changes their platform role; disabling ends their sessions in the same transaction. */
  async updateUser(
    actorId: string,
    userId: string,
    change: { disabled?: boolean | undefined; platformRole?: PlatformRole | null | undefined },
  ) {
    const { disabled, platformRole } = change;
    if (userId === actorId && (disabled || platformRole !== undefined)) {
      throw conflict('cannot_change_self', 'You cannot disable yourself or change your own platform role.');
    }
    return this.deps.db.transaction(async (tx) => {
      const updated = await new UsersRepository(tx).update(userId, {
        ...(disabled === undefined ? {} : { disabledAt: disabled ? new Date() : null }),
        ...(platformRole === undefined ? {} : { platformRole }),
      });
      if (!updated) throw notFound('User');
      if (disabled) await new SessionsRepository(tx).revokeAllForUser(userId, 'disabled_by_admin');
      return updated;
    });
  }

  /** Ends every session of the user (impersonations included); they log in again with their password. */
  async forceLogout(actorId: string, userId: string): Promise<number> {
    if (userId === actorId) throw refuseSelf();
    const user = await new UsersRepository(this.deps.db).findById(userId);
    if (!user) throw notFound('User');
    const revoked = await new SessionsRepository(this.deps.db).revokeAllForUser(userId, 'forced_logout_by_admin').returning();
    return revoked.length;
  }

  /** Removes the TOTP secret and the recovery codes, signs the user out everywhere and tells them by mail. */
  async resetTwoFactor(actorId: string, userId: string) {
    if (userId === actorId) throw refuseSelf();
    const user = await new UsersRepository(this.deps.db).findById(userId);
    if (!user) throw notFound('User');
    if (!user.totpEnabledAt && !user.totpSecret) throw conflict('totp_not_enabled', 'This user has no two-factor authentication.');
    await this.deps.mail.transaction(async (tx, queueMail) => {
      await new UsersRepository(tx).update(userId, { totpEnabledAt: null, totpSecret: null, totpLastStep: null });
      await new RecoveryCodesRepository(tx).replace(userId, []);
      await new SessionsRepository(tx).revokeAllForUser(userId, 'two_factor_reset_by_admin');
      await queueMail(mailTemplates.twoFactorReset(user.email, new URL('/account', this.deps.config.publicUrl).toString()));
    });
  }

  /** Mails the user the normal reset link; nothing about the password changes until they follow it. */
  async sendPasswordReset(userId: string) {
    const user = await new UsersRepository(this.deps.db).findById(userId);
    if (!user) throw notFound('User');
    if (user.disabledAt) throw conflict('user_disabled', 'This account is disabled; enable it first.');
    await this.deps.auth.mailPasswordReset(user);
    return user;
  }

  startImpersonation(operator: AuthenticatedUser, userId: string, input: { reason: string; minutes: number }, client: ClientInfo) {
    return this.deps.impersonation.start(operator, userId, input, client);
  }
}
