import { createCipheriv, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/auth/auth.tables.js';
import { upgradeSealedSecrets } from '../../src/auth/sealed-secrets-upgrade.js';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { instances } from '../../src/instances/instances.tables.js';
import { createUser, type Harness, startHarness } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';

/** Values sealed before contexts (no AAD, no prefix) are re-sealed by the start-up data migration. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** The format before contexts: `iv.tag.ciphertext`, no AAD. */
function legacySeal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

describe('upgradeSealedSecrets', () => {
  it('re-seals legacy instance and TOTP secrets bound to their rows, once, leaving current values alone', async () => {
    const key = h.platform.config.encryptionKey;
    const user = await createUser(h, { label: 'sealed' });
    const row = await insertInstanceRow(h, user.tenantId);
    const current = row.masterPassword;
    await h.platform.db
      .update(instances)
      .set({ dbPassword: legacySeal(key, 'db-pw'), pendingAdminPassword: legacySeal(key, 'admin-pw') })
      .where(eq(instances.id, row.id));
    await h.platform.db
      .update(users)
      .set({ totpSecret: legacySeal(key, 'JBSWY3DPEHPK3PXP') })
      .where(eq(users.id, user.userId));

    // Sealed under another key: left alone, counted, and the start-up goes on.
    const stranger = await insertInstanceRow(h, user.tenantId);
    await h.platform.db
      .update(instances)
      .set({ dbPassword: legacySeal(randomBytes(32), 'x') })
      .where(eq(instances.id, stranger.id));

    const first = await upgradeSealedSecrets(h.platform.db, key);
    expect(first.upgraded).toBeGreaterThanOrEqual(3);
    expect(first.unreadable).toBeGreaterThanOrEqual(1);
    const [after] = await h.platform.db.select().from(instances).where(eq(instances.id, row.id));
    const [account] = await h.platform.db.select().from(users).where(eq(users.id, user.userId));
    expect(after?.dbPassword).toMatch(/^v2:/);
    expect(decrypt(key, after?.dbPassword ?? '', secretContext.instanceDbPassword(row.id))).toBe('db-pw');
    expect(decrypt(key, after?.pendingAdminPassword ?? '', secretContext.instanceAdminPassword(row.id))).toBe('admin-pw');
    expect(decrypt(key, account?.totpSecret ?? '', secretContext.totp(user.userId))).toBe('JBSWY3DPEHPK3PXP');
    expect(after?.masterPassword).toBe(current);
    // Bound now: the database password does not open as another row's, nor as another purpose.
    expect(() => decrypt(key, after?.dbPassword ?? '', secretContext.instanceDbPassword(user.tenantId))).toThrow();
    expect(() => decrypt(key, after?.dbPassword ?? '', secretContext.instanceMasterPassword(row.id))).toThrow();

    expect((await upgradeSealedSecrets(h.platform.db, key)).upgraded).toBe(0);
    const [untouched] = await h.platform.db.select().from(instances).where(eq(instances.id, stranger.id));
    expect(untouched?.dbPassword).not.toMatch(/^v2:/);
  });
});
