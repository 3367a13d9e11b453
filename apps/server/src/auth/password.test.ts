import { describe, expect, it } from 'vitest';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordWeakness, verifyPassword } from './password.js';

describe('passwordWeakness', () => {
  it('accepts a long, varied password', () => {
    expect(passwordWeakness('correct-Horse-battery-9')).toBeNull();
    expect(passwordWeakness('xxxxabcde1', { email: 'ada@example.com', name: 'Ada' })).toBeNull();
  });

  it('refuses passwords shorter than the minimum, and accepts the minimum', () => {
    expect(passwordWeakness('aB3$efgh9')).toMatch(/at least 10/);
    expect('aB3$efgh9k').toHaveLength(PASSWORD_MIN_LENGTH);
    expect(passwordWeakness('aB3$efgh9k')).toBeNull();
  });

  it('refuses passwords longer than the maximum', () => {
    const varied = 'abcdefghij'.repeat(30);
    expect(passwordWeakness(varied.slice(0, PASSWORD_MAX_LENGTH))).toBeNull();
    expect(passwordWeakness(varied.slice(0, PASSWORD_MAX_LENGTH + 1))).toMatch(/at most 256/);
  });

  it.each(['password123', 'PASSWORD123', 'Qwertyuiop', '1q2w3e4r5t', 'administrator'])('refuses the common password %s', (pw) => {
    expect(passwordWeakness(pw)).toMatch(/too common/);
  });

  it('refuses passwords with fewer than five different characters', () => {
    expect(passwordWeakness('abababababab')).toMatch(/different characters/);
    expect(passwordWeakness('abcdabcdabcd')).toMatch(/different characters/);
    expect(passwordWeakness('abcdeabcdeab')).toBeNull();
  });

  it('refuses a password containing the local part of the email, in any case', () => {
    expect(passwordWeakness('my-Margaret-pw-7', { email: 'margaret@example.com' })).toMatch(/email address/);
    expect(passwordWeakness('MARGARET-pw-777', { email: 'Margaret@example.com' })).toMatch(/email address/);
    // Very short local parts would refuse too much, so they are not checked.
    expect(passwordWeakness('xyz-random-pw-77', { email: 'xyz@example.com' })).toBeNull();
  });
});

describe('hashPassword / verifyPassword', () => {
  it('verifies the right password, refuses a wrong one and never stores the plain text', async () => {
    const hash = await hashPassword('correct-Horse-battery-9');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain('correct-Horse-battery-9');
    expect(await verifyPassword(hash, 'correct-Horse-battery-9')).toBe(true);
    expect(await verifyPassword(hash, 'correct-horse-battery-9')).toBe(false);
  });

  it('answers false, not an exception, for a malformed hash', async () => {
    expect(await verifyPassword('not-a-hash', 'whatever')).toBe(false);
  });
});
