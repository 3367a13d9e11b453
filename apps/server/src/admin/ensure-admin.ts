import { randomBytes } from 'node:crypto';
import { hashPassword, passwordWeakness } from '../auth/password.js';
import { UsersRepository } from '../auth/users.repo.js';
import type { Db } from '../db/client.js';

/** Creates the first platform admin when there is none. Returns the password only when it was generated here. */
export async function ensureFirstAdmin(db: Db, input: { email: string; password?: string | undefined }) {
  const users = new UsersRepository(db);
  if ((await users.countPlatformAdmins()) > 0) return { created: false as const };
  const password = input.password ?? randomBytes(12).toString('base64url');
  const weakness = passwordWeakness(password, { email: input.email });
  if (weakness) throw new Error(`ADMIN_PASSWORD is too weak: ${weakness}`);
  const existing = await users.findByEmail(input.email);
  if (existing) {
    await users.update(existing.id, { platformRole: 'admin' });
    return { created: true as const, email: existing.email, password: undefined };
  }
  const user = await users.create({
    email: input.email,
    name: 'Platform admin',
    passwordHash: await hashPassword(password),
    platformRole: 'admin',
    emailVerifiedAt: new Date(),
  });
  if (!user) throw new Error('could not create the admin user');
  return { created: true as const, email: user.email, password };
}
