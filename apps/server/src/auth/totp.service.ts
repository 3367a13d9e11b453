import { randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import type { Db } from '../db/client.js';
import { conflict, fieldInvalid, invalid, notFound } from '../errors/domain-error.js';
import { users } from './auth.tables.js';
import { RecoveryCodesRepository } from './email-tokens.repo.js';
import { verifyPassword } from './password.js';
import { decrypt, encrypt, secretContext, sha256 } from './secrets.js';
import { type UserRow, UsersRepository } from './users.repo.js';

const ISSUER = 'Odoo Cloud';
const RECOVERY_CODE_COUNT = 10;

const normalizeRecoveryCode = (code: string) => code.trim().toLowerCase().replaceAll('-', '');

function newRecoveryCode(): string {
  const raw = randomBytes(8).toString('hex'); // 64 bits
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}-${raw.slice(12)}`;
}

/** Time-based one-time passwords (RFC 6238) with single-use recovery codes. */
export class TotpService {
  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
  ) {}

  private totp(email: string, secret: string) {
    return new TOTP({ issuer: ISSUER, label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  }

  /** Starts setup: a new secret is stored but not active until confirmed with a code. */
  async setup(userId: string) {
    const users = new UsersRepository(this.db);
    const user = await users.findById(userId);
    if (!user) throw notFound('User');
    if (user.totpEnabledAt) throw conflict('totp_already_enabled', 'Two-factor authentication is already on.');
    const secret = new Secret({ size: 20 }).base32;
    await users.update(userId, { totpSecret: encrypt(this.key, secret, secretContext.totp(userId)) });
    return { secret, otpauthUrl: this.totp(user.email, secret).toString() };
  }

  async enable(userId: string, code: string): Promise<string[]> {
    const users = new UsersRepository(this.db);
    const user = await users.findById(userId);
    if (!user) throw notFound('User');
    if (user.totpEnabledAt) throw conflict('totp_already_enabled', 'Two-factor authentication is already on.');
    if (!user.totpSecret) throw invalid('totp_not_set_up', 'Start the two-factor setup first.');
    const delta = this.delta(user, user.totpSecret, code);
    if (delta === null) throw fieldInvalid('code', 'invalid_totp', 'The code is wrong.');
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.db.transaction(async (tx) => {
      // The code that confirmed the setup is used up too.
      await new UsersRepository(tx).update(userId, { totpEnabledAt: new Date(), totpLastStep: Math.floor(Date.now() / 30_000) + delta });
      await new RecoveryCodesRepository(tx).replace(
        userId,
        codes.map((c) => sha256(normalizeRecoveryCode(c))),
      );
    });
    return codes;
  }

  async disable(userId: string, password: string, code: string) {
    const user = await new UsersRepository(this.db).findById(userId);
    if (!user) throw notFound('User');
    if (!user.totpEnabledAt) throw conflict('totp_not_enabled', 'Two-factor authentication is not on.');
    if (!(await verifyPassword(user.passwordHash, password))) throw fieldInvalid('password', 'wrong_password', 'The password is wrong.');
    if (!(await this.consume(user, code))) throw fieldInvalid('code', 'invalid_totp', 'The code is wrong.');
    await this.db.transaction(async (tx) => {
      await new UsersRepository(tx).update(userId, { totpEnabledAt: null, totpSecret: null, totpLastStep: null });
      await new RecoveryCodesRepository(tx).replace(userId, []);
    });
  }

  /**
   * Checks a code of a user with two-factor on (one step of clock drift either way) and uses it up:
   * the same code, or an older one, is refused afterwards.
   */
  async consume(user: UserRow, code: string): Promise<boolean> {
    if (!user.totpSecret) return false;
    const delta = this.delta(user, user.totpSecret, code);
    if (delta === null) return false;
    const step = Math.floor(Date.now() / 30_000) + delta;
    const updated = await this.db
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return updated.length === 1;
  }

  useRecoveryCode(userId: string, code: string): Promise<boolean> {
    return new RecoveryCodesRepository(this.db).consume(userId, sha256(normalizeRecoveryCode(code)));
  }

  private delta(user: UserRow, sealedSecret: string, code: string): number | null {
    if (!/^\d{6}$/.test(code.trim())) return null;
    const secret = decrypt(this.key, sealedSecret, secretContext.totp(user.id));
    return this.totp(user.email, secret).validate({ token: code.trim(), window: 1 });
  }
}
