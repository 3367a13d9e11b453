import { newTenantBilling } from '../billing/billing-accounts.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { fieldInvalid, forbidden, invalid, unauthenticated } from '../errors/domain-error.js';
import type { ClientInfo } from '../http/route-helpers.js';
import type { MailService } from '../mail/mail.service.js';
import { mailTemplates } from '../mail/templates.js';
import { signupsCounter } from '../monitoring/platform-metrics.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import type { TenantRole } from '../tenants/tenants.schemas.js';
import type { AccessTokens } from './access-token.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { EmailTokensRepository } from './email-tokens.repo.js';
import { dummyPasswordHash, hashPassword, passwordWeakness, verifyPassword } from './password.js';
import type { RateLimits } from './rate-limits.js';
import { randomToken, sha256 } from './secrets.js';
import { SessionsRepository } from './sessions.repo.js';
import type { TotpService } from './totp.service.js';
import { type UserRow, UsersRepository } from './users.repo.js';

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
  userId: string;
}

const VERIFY_TTL_MINUTES = 48 * 60;
const RESET_TTL_MINUTES = 60;

export function assertStrongPassword(password: string, context: { email?: string; name?: string }, field = 'password') {
  const weakness = passwordWeakness(password, context);
  if (weakness) throw fieldInvalid(field, 'weak_password', weakness);
}

export class AuthService {
  constructor(
    private readonly deps: {
      db: Db;
      config: Config;
      tokens: AccessTokens;
      limits: RateLimits;
      mail: MailService;
      totp: TotpService;
    },
  ) {}

  private get db() {
    return this.deps.db;
  }

  /**
   * Creates the account and its tenant, or, when the address already has an account, mails its owner
   * instead. Either way the caller learns nothing: the route answers the same, and the password is
   * hashed in both cases so the timing stays alike.
   */
  async signup(
    input: { email: string; password: string; name: string; organization: string },
    client: ClientInfo,
  ): Promise<{ created: { user: UserRow; tenant: { id: string; name: string } } } | { existing: UserRow }> {
    await this.deps.limits.consume('signup', { ip: client.ip, account: input.email });
    assertStrongPassword(input.password, input);
    const passwordHash = await hashPassword(input.password);
    const outcome = await this.deps.mail.transaction(async (tx, queueMail) => {
      const users = new UsersRepository(tx);
      const user = await users.create({ email: input.email, name: input.name, passwordHash });
      if (!user) {
        const existing = await users.findByEmail(input.email);
        if (!existing) throw new Error('sign-up lost a race with an account deletion');
        if (!existing.disabledAt) {
          await queueMail(mailTemplates.signupAttempt(existing.email, this.webLink('/login'), this.webLink('/forgot-password')));
        }
        return { existing };
      }
      const tenant = await new TenantsRepository(tx).create(input.organization, user.id, newTenantBilling(this.deps.config));
      const token = randomToken();
      await new EmailTokensRepository(tx).create(user.id, 'verify_email', sha256(token), VERIFY_TTL_MINUTES);
      await queueMail(mailTemplates.verifyEmail(user.email, user.name, this.webLink('/verify-email', token)));
      return { created: { user, tenant } };
    });
    if ('created' in outcome) signupsCounter.inc();
    return outcome;
  }

  async verifyEmail(token: string) {
    await this.db.transaction(async (tx) => {
      const userId = await new EmailTokensRepository(tx).consume('verify_email', sha256(token));
      if (!userId) throw invalid('invalid_token', 'This verification link is invalid or has expired.');
      await new UsersRepository(tx).update(userId, { emailVerifiedAt: new Date() });
    });
  }

  /** Mails a new verification link if the address has an unconfirmed account; silent otherwise (no existence oracle). */
  async resendVerification(email: string, client: ClientInfo) {
    await this.deps.limits.consume('resendVerification', { ip: client.ip, account: email });
    const user = await new UsersRepository(this.db).findByEmail(email);
    if (!user || user.emailVerifiedAt || user.disabledAt) return;
    await this.deps.mail.transaction(async (tx, queueMail) => {
      const token = randomToken();
      await new EmailTokensRepository(tx).create(user.id, 'verify_email', sha256(token), VERIFY_TTL_MINUTES);
      await queueMail(mailTemplates.verifyEmail(user.email, user.name, this.webLink('/verify-email', token)));
    });
  }

  async login(
    input: { email: string; password: string; totpCode?: string | undefined; recoveryCode?: string | undefined },
    client: ClientInfo,
  ): Promise<IssuedSession> {
    await this.deps.limits.consume('login', { ip: client.ip });
    const locks = this.deps.limits.loginLocks;
    // Checked before the account is looked up, so a lock looks the same for unknown addresses.
    await locks.assertOpen(client.ip, input.email);
    const users = new UsersRepository(this.db);
    const user = await users.findByEmail(input.email);
    if (!user) {
      await verifyPassword(await dummyPasswordHash(), input.password);
      await this.recordFailedLogin(input.email, null, client);
      throw unauthenticated('invalid_credentials', 'The email address or password is wrong.');
    }
    if (!(await verifyPassword(user.passwordHash, input.password))) {
      await this.recordFailedLogin(input.email, user, client);
      throw unauthenticated('invalid_credentials', 'The email address or password is wrong.');
    }
    if (user.disabledAt) throw forbidden('account_disabled', 'This account has been disabled. Contact support.');
    if (user.totpEnabledAt) {
      if (!input.totpCode && !input.recoveryCode) {
        throw unauthenticated('totp_required', 'Enter the code from your authenticator app.');
      }
      const ok = input.recoveryCode
        ? await this.deps.totp.useRecoveryCode(user.id, input.recoveryCode)
        : await this.deps.totp.consume(user, input.totpCode ?? '');
      if (!ok) {
        await this.recordFailedLogin(input.email, user, client);
        throw unauthenticated('invalid_totp', 'The two-factor code is wrong.');
      }
    }
    await locks.clear(client.ip, input.email);
    return this.startSession(user.id, client);
  }

  /** Counts a failure for this source and address; when it locks the source out, tells the owner (if any). */
  private async recordFailedLogin(email: string, user: UserRow | null, client: ClientInfo) {
    const lockedNow = await this.deps.limits.loginLocks.recordFailure(client.ip, email);
    if (!lockedNow || !user || !(await this.deps.limits.loginLocks.claimNotice(email))) return;
    const { loginLockMinutes } = this.deps.config;
    await this.deps.mail.send(mailTemplates.accountLocked(user.email, loginLockMinutes, this.webLink('/forgot-password')));
  }

  async startSession(userId: string, client: ClientInfo): Promise<IssuedSession> {
    const refreshExpiresAt = new Date(Date.now() + this.deps.config.refreshTokenTtlDays * 86_400_000);
    const refreshToken = randomToken();
    const session = await this.db.transaction(async (tx) => {
      const sessions = new SessionsRepository(tx);
      const created = await sessions.create({ userId, ip: client.ip, userAgent: client.userAgent, expiresAt: refreshExpiresAt });
      await sessions.addRefreshToken(created.id, sha256(refreshToken));
      return created;
    });
    const access = await this.deps.tokens.issue(userId, session.id);
    return { ...access, refreshToken, refreshExpiresAt, userId };
  }

  /** Exchanges a refresh token for a new pair. A token presented twice revokes its whole session. */
  async refresh(refreshToken: string | undefined, client: ClientInfo, onIdentified?: (userId: string) => void): Promise<IssuedSession> {
    await this.deps.limits.consume('refresh', { ip: client.ip });
    if (!refreshToken) throw unauthenticated('invalid_refresh_token', 'No valid session. Log in again.');
    const sessions = new SessionsRepository(this.db);
    const found = await sessions.findRefreshToken(sha256(refreshToken));
    if (!found || found.session.revokedAt || found.session.expiresAt <= new Date()) {
      throw unauthenticated('invalid_refresh_token', 'No valid session. Log in again.');
    }
    onIdentified?.(found.session.userId);
    await this.deps.limits.consume('refresh', { ip: client.ip, account: found.session.userId });
    if (found.token.rotatedAt || !(await sessions.markRotated(found.token.id))) {
      await sessions.revoke(found.session.id, 'refresh_token_reused');
      throw unauthenticated('refresh_token_reused', 'This session was ended because its refresh token was used twice. Log in again.');
    }
    const next = randomToken();
    await sessions.addRefreshToken(found.session.id, sha256(next));
    await sessions.touch(found.session.id, client.ip);
    const access = await this.deps.tokens.issue(found.session.userId, found.session.id);
    return { ...access, refreshToken: next, refreshExpiresAt: found.session.expiresAt, userId: found.session.userId };
  }

  /** Ends the session of a refresh token (logout from a browser that lost its access token still works). */
  async logout(refreshToken: string | undefined, auth: AuthenticatedUser | null): Promise<string | null> {
    const sessions = new SessionsRepository(this.db);
    if (auth) {
      await sessions.revoke(auth.sessionId, 'logout');
      return auth.userId;
    }
    if (!refreshToken) return null;
    const found = await sessions.findRefreshToken(sha256(refreshToken));
    if (!found) return null;
    await sessions.revoke(found.session.id, 'logout');
    return found.session.userId;
  }

  async forgotPassword(email: string, client: ClientInfo) {
    await this.deps.limits.consume('passwordReset', { ip: client.ip, account: email });
    const user = await new UsersRepository(this.db).findByEmail(email);
    if (!user || user.disabledAt) return;
    await this.mailPasswordReset(user);
  }

  /** Mails the user the normal reset link (also what an operator's "send a password reset" does). */
  async mailPasswordReset(user: Pick<UserRow, 'id' | 'email'>) {
    await this.deps.mail.transaction(async (tx, queueMail) => {
      const token = randomToken();
      await new EmailTokensRepository(tx).create(user.id, 'reset_password', sha256(token), RESET_TTL_MINUTES);
      await queueMail(mailTemplates.resetPassword(user.email, this.webLink('/reset-password', token)));
    });
  }

  async resetPassword(token: string, password: string, client: ClientInfo): Promise<string> {
    await this.deps.limits.consume('passwordReset', { ip: client.ip });
    const hashed = sha256(token);
    return this.deps.mail.transaction(async (tx, queueMail) => {
      const userId = await new EmailTokensRepository(tx).consume('reset_password', hashed);
      if (!userId) throw invalid('invalid_token', 'This reset link is invalid or has expired.');
      const users = new UsersRepository(tx);
      const user = await users.findById(userId);
      if (!user) throw invalid('invalid_token', 'This reset link is invalid or has expired.');
      assertStrongPassword(password, user);
      // Proving control of the mailbox also proves the address.
      await users.update(userId, {
        passwordHash: await hashPassword(password),
        failedLogins: 0,
        lockedUntil: null,
        emailVerifiedAt: user.emailVerifiedAt ?? new Date(),
      });
      await new SessionsRepository(tx).revokeAllForUser(userId, 'password_reset');
      await queueMail(mailTemplates.passwordChanged(user.email));
      return userId;
    });
  }

  async changePassword(auth: AuthenticatedUser, currentPassword: string, newPassword: string) {
    const users = new UsersRepository(this.db);
    const user = await users.findById(auth.userId);
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw fieldInvalid('currentPassword', 'wrong_password', 'The current password is wrong.');
    }
    assertStrongPassword(newPassword, user, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.deps.mail.transaction(async (tx, queueMail) => {
      await new UsersRepository(tx).update(user.id, { passwordHash });
      await new SessionsRepository(tx).revokeAllForUser(user.id, 'password_changed', auth.sessionId);
      await queueMail(mailTemplates.passwordChanged(user.email));
    });
  }

  /** Resolves an access token to a live user and session; used by the access check on every request. */
  /** The user behind a live session; given a tenant, also their role there (one query either way). */
  async authenticate(token: string, tenantId: string | null = null): Promise<{ user: AuthenticatedUser; tenantRole: TenantRole | null }> {
    const claims = this.deps.tokens.verify(token);
    const live = await new SessionsRepository(this.db).findLiveUser(claims.sessionId, claims.userId, tenantId);
    if (!live) throw unauthenticated('session_revoked', 'This session has ended. Log in again.');
    if (live.disabledAt) throw unauthenticated('account_disabled', 'This account has been disabled.');
    // An impersonation ends as soon as its operator is no longer active staff.
    if (live.impersonatorId && (!live.impersonatorRole || live.impersonatorDisabledAt)) {
      throw unauthenticated('session_revoked', 'This session has ended. Log in again.');
    }
    const user: AuthenticatedUser = {
      userId: live.userId,
      sessionId: claims.sessionId,
      email: live.email,
      platformRole: live.platformRole,
      emailVerified: Boolean(live.emailVerifiedAt),
      totpEnabled: Boolean(live.totpEnabledAt),
      impersonator: live.impersonatorId && live.impersonatorEmail ? { id: live.impersonatorId, email: live.impersonatorEmail } : null,
    };
    return { user, tenantRole: live.tenantRole };
  }

  private webLink(path: string, token?: string) {
    const url = new URL(path, this.deps.config.publicUrl);
    if (token) url.searchParams.set('token', token);
    return url.toString();
  }
}
