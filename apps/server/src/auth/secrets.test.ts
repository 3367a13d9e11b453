import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, randomToken, sha256 } from './secrets.js';

const key = randomBytes(32);

/** Flips one bit of one of the three parts of a sealed value. */
function tamper(sealed: string, part: 0 | 1 | 2): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('encrypt / decrypt', () => {
  it('round-trips text, including non-ASCII and empty strings', () => {
    for (const text of ['JBSWY3DPEHPK3PXP', 'ünïcødé ✓ 秘密', '']) {
      expect(decrypt(key, encrypt(key, text))).toBe(text);
    }
  });

  it('uses a fresh IV each time and does not contain the plain text', () => {
    const a = encrypt(key, 'JBSWY3DPEHPK3PXP');
    const b = encrypt(key, 'JBSWY3DPEHPK3PXP');
    expect(a).not.toBe(b);
    expect(a.split('.')[0]).not.toBe(b.split('.')[0]);
    expect(a).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it.each([
    ['IV', 0],
    ['tag', 1],
    ['ciphertext', 2],
  ] as const)('detects a changed %s', (_name, part) => {
    const sealed = encrypt(key, 'a secret value');
    expect(() => decrypt(key, tamper(sealed, part))).toThrow();
  });

  it('refuses to decrypt with another key', () => {
    expect(() => decrypt(randomBytes(32), encrypt(key, 'a secret value'))).toThrow();
  });

  it('refuses malformed input', () => {
    expect(() => decrypt(key, 'only-one-part')).toThrow(/malformed/);
    expect(() => decrypt(key, 'a.b')).toThrow(/malformed/);
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
