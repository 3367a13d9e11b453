import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../../src/auth/rate-limits.js';
import { call, createUser, fakeIp, type Harness, STRONG_PASSWORD, startHarness, uniqueEmail, waitForMail } from '../harness.js';

/**
 * Login lockout is per source and address together: a guesser locks out only itself, never the owner
 * logging in from elsewhere, and an unknown address is locked exactly like a known one.
 */

const LOCK_THRESHOLD = 3;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { LOGIN_LOCK_THRESHOLD: String(LOCK_THRESHOLD) } });
});
afterAll(async () => {
  await h.close();
});

const login = (ip: string, email: string, password: string) =>
  call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password } });

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe(code);
}

/** What a caller can observe of an answer, minus the id every request gets. */
const observable = (res: LightMyRequestResponse) => {
  const { requestId: _requestId, ...body } = res.json() as Record<string, unknown>;
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] !== undefined, body };
};

describe('login lockout', () => {
  it('locks the guessing source out, even against the right password, but not the owner elsewhere; mails the owner once', async () => {
    const user = await createUser(h, { label: 'lock' });
    const attacker = fakeIp();
    expect(h.platform.config.loginLockThreshold).toBe(LOCK_THRESHOLD);
    for (let i = 0; i < LOCK_THRESHOLD; i++) {
      expectProblem(await login(attacker, user.email, `wrong-Password-${i}`), 401, 'invalid_credentials');
    }
    const locked = await login(attacker, user.email.toUpperCase(), STRONG_PASSWORD);
    expectProblem(locked, 423, 'account_locked');
    const retryAfter = String(locked.headers['retry-after']);
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(h.platform.config.loginLockMinutes * 60);
    expect(locked.cookies.find((c) => c.name === 'saas_refresh')).toBeUndefined();

    // The owner, from their own address, is not locked out.
    expect((await login(user.ip, user.email, STRONG_PASSWORD)).statusCode).toBe(200);
    expect((await login(fakeIp(), user.email, STRONG_PASSWORD)).statusCode).toBe(200);
    // ...and that success does not lift the guesser's lock.
    expectProblem(await login(attacker, user.email, STRONG_PASSWORD), 423, 'account_locked');
    // The same source may still log in to other accounts (the per-IP rate limit is separate).
    const other = await createUser(h, { label: 'lock-other', verify: false });
    expect((await login(attacker, other.email, STRONG_PASSWORD)).statusCode).toBe(200);

    // A second source reaching the threshold locks itself too, but the owner hears about it only once.
    const second = fakeIp();
    for (let i = 0; i < LOCK_THRESHOLD; i++) await login(second, user.email, `wrong-Password-${i}`);
    expectProblem(await login(second, user.email, STRONG_PASSWORD), 423, 'account_locked');
    const mail = await waitForMail(h.app, user.email, 'temporarily locked');
    expect(mail.text).toContain(`${h.platform.config.loginLockMinutes} minutes`);
    expect(mail.links[0]).toBe('http://localhost:8080/forgot-password');
    await new Promise((r) => setTimeout(r, 500));
    const box = await call(h.app, 'GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(user.email)}`);
    expect((box.json() as { subject: string }[]).filter((m) => m.subject.includes('temporarily locked'))).toHaveLength(1);

    // When the lock runs out (its Redis entry expires), the right password works again from that source.
    await new RateLimits(h.platform.redis, h.platform.config).loginLocks.clear(attacker, user.email);
    expect((await login(attacker, user.email, STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it('answers an unknown address exactly like a known one, before and under lockout', async () => {
    const known = await createUser(h, { label: 'lock-known', verify: false });
    const unknown = uniqueEmail('lock-unknown');
    const run = async (email: string) => {
      const ip = fakeIp();
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i <= LOCK_THRESHOLD + 1; i++) answers.push(await login(ip, email, `wrong-Password-${i}`));
      return answers;
    };
    const [forKnown, forUnknown] = [await run(known.email), await run(unknown)];
    expect(forKnown.map(observable)).toEqual(forUnknown.map(observable));
    expect(forKnown.map((r) => r.statusCode)).toEqual([...Array(LOCK_THRESHOLD).fill(401), 423, 423]);
    for (const [a, b] of forKnown.slice(LOCK_THRESHOLD).map((r, i) => [r, forUnknown[LOCK_THRESHOLD + i]] as const)) {
      // Both locks last the same (a second of slack for the time between the runs).
      expect(Math.abs(Number(a.headers['retry-after']) - Number(b?.headers['retry-after']))).toBeLessThanOrEqual(1);
    }
  });

  it('does not lock below the threshold, and a success resets the count', async () => {
    const user = await createUser(h, { label: 'nolock' });
    const ip = fakeIp();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < LOCK_THRESHOLD - 1; i++) {
        expectProblem(await login(ip, user.email, `wrong-Password-${i}`), 401, 'invalid_credentials');
      }
      expect((await login(ip, user.email, STRONG_PASSWORD)).statusCode).toBe(200);
    }
  });
});
