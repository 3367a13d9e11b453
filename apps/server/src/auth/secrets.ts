import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A random URL-safe token for links and refresh tokens (256 bits). */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Tokens are high-entropy, so a plain SHA-256 is the right way to store them (no salt or slow hash needed). */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
/** GCM accepts tags down to 4 bytes unless told otherwise; a short tag would make forgery cheap. */
const TAG_BYTES = 16;
const V2 = 'v2:';

/**
 * What a sealed value belongs to. It is bound as additional authenticated data, so a ciphertext copied
 * to another row or another column fails to open.
 */
export const secretContext = {
  instanceDbPassword: (instanceId: string) => `instance-db-password:${instanceId}`,
  instanceMasterPassword: (instanceId: string) => `instance-master-password:${instanceId}`,
  instanceAdminPassword: (instanceId: string) => `instance-admin-password:${instanceId}`,
  totp: (userId: string) => `totp:${userId}`,
};

/** AES-256-GCM with a random IV, bound to `context`; output is `v2:iv.tag.ciphertext` in base64url. */
export function encrypt(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return V2 + [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

/** Values sealed before contexts existed (no `v2:` prefix); they still open, and `upgradeSealed` rewrites them. */
export const isLegacySealed = (sealed: string) => !sealed.startsWith(V2);

/** Opens a value sealed by `encrypt` with the same context, or a legacy value (whose context cannot be checked). */
export function decrypt(key: Buffer, sealed: string, context: string): string {
  const legacy = isLegacySealed(sealed);
  const parts = (legacy ? sealed : sealed.slice(V2.length)).split('.');
  if (parts.length !== 3) throw new Error('malformed ciphertext');
  const [iv, tag, data] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('malformed ciphertext');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  if (!legacy) decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

/** Re-seals a legacy value in the current format with its context; returns null when it is already current. */
export function upgradeSealed(key: Buffer, sealed: string, context: string): string | null {
  return isLegacySealed(sealed) ? encrypt(key, decrypt(key, sealed, context), context) : null;
}
