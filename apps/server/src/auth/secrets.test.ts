import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, isLegacySealed, randomToken, secretContext, sha256, upgradeSealed } from './secrets.js';

const key = randomBytes(32);
const ctx = secretContext.instanceDbPassword('0b6f5a6e-8d4c-4a53-9d0b-3f1f7c2f2a10');

/** Flips one bit of one of the three parts of a sealed value. */
function tamper(sealed: string, part: 0 | 1 | 2): string {
  const parts = sealed.slice('v2:'.length).split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[part] = bytes.toString('base64url');
  return `v2:${parts.join('.')}`;
}

/** A value as the format before contexts wrote it: `iv.tag.ciphertext`, no AAD. */
function legacySeal(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

describe('encrypt / decrypt', () => {
  it('round-trips text, including non-ASCII and empty strings', () => {
    for (const text of ['JBSWY3DPEHPK3PXP', 'ünïcødé ✓ 秘密', '']) {
      expect(decrypt(key, encrypt(key, text, ctx), ctx)).toBe(text);
    }
  });

  it('uses a fresh IV each time and does not contain the plain text', () => {
    const a = encrypt(key, 'JBSWY3DPEHPK3PXP', ctx);
    const b = encrypt(key, 'JBSWY3DPEHPK3PXP', ctx);
    expect(a).not.toBe(b);
    expect(a.split('.')[0]).not.toBe(b.split('.')[0]);
    expect(a).toMatch(/^v2:[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('refuses a value copied to another row or another purpose', () => {
    const sealed = encrypt(key, 'a secret value', ctx);
    expect(() => decrypt(key, sealed, secretContext.instanceDbPassword('another-instance'))).toThrow();
    expect(() => decrypt(key, sealed, secretContext.instanceMasterPassword('0b6f5a6e-8d4c-4a53-9d0b-3f1f7c2f2a10'))).toThrow();
    expect(() => decrypt(key, sealed, secretContext.totp('0b6f5a6e-8d4c-4a53-9d0b-3f1f7c2f2a10'))).toThrow();
  });

  it.each([
    ['IV', 0],
    ['tag', 1],
    ['ciphertext', 2],
  ] as const)('detects a changed %s', (_name, part) => {
    const sealed = encrypt(key, 'a secret value', ctx);
    expect(() => decrypt(key, tamper(sealed, part), ctx)).toThrow();
  });

  it.each([15, 12, 4])('refuses a tag truncated to %i bytes, in both formats', (bytes) => {
    for (const [prefix, sealed] of [
      ['v2:', encrypt(key, 'a secret value', ctx).slice(3)],
      ['', legacySeal('a secret value')],
    ]) {
      const [iv, tag, data] = (sealed ?? '').split('.');
      const short = Buffer.from(tag ?? '', 'base64url')
        .subarray(0, bytes)
        .toString('base64url');
      expect(() => decrypt(key, `${prefix}${iv}.${short}.${data}`, ctx)).toThrow(/malformed/);
    }
  });

  it('refuses to decrypt with another key', () => {
    expect(() => decrypt(randomBytes(32), encrypt(key, 'a secret value', ctx), ctx)).toThrow();
  });

  it('refuses malformed input', () => {
    expect(() => decrypt(key, 'only-one-part', ctx)).toThrow(/malformed/);
    expect(() => decrypt(key, 'a.b', ctx)).toThrow(/malformed/);
    expect(() => decrypt(key, 'v2:a.b', ctx)).toThrow(/malformed/);
    expect(() => decrypt(key, 'v2:a.b.c.d', ctx)).toThrow(/malformed/);
  });
});

describe('values sealed before contexts', () => {
  it('still open, whatever context is asked for', () => {
    const old = legacySeal('JBSWY3DPEHPK3PXP');
    expect(isLegacySealed(old)).toBe(true);
    expect(decrypt(key, old, ctx)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('are re-sealed bound to their context, and current values are left alone', () => {
    const upgraded = upgradeSealed(key, legacySeal('JBSWY3DPEHPK3PXP'), ctx);
    expect(upgraded).toMatch(/^v2:/);
    expect(decrypt(key, upgraded ?? '', ctx)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => decrypt(key, upgraded ?? '', secretContext.totp('someone'))).toThrow();
    expect(upgradeSealed(key, encrypt(key, 'x', ctx), ctx)).toBeNull();
  });

  it('a tampered legacy value is refused', () => {
    const old = legacySeal('a secret value');
    const [iv, tag, data] = old.split('.');
    const bytes = Buffer.from(data ?? '', 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(() => decrypt(key, `${iv}.${tag}.${bytes.toString('base64url')}`, ctx)).toThrow();
  });
});

describe('randomToken / sha256', () => {
  it('makes URL-safe 256-bit tokens that differ', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(randomToken()).not.toBe(a);
  });

  it('hashes to lowercase hex SHA-256', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
