import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/auth/auth.tables.js';
import { AUTH_LIMITS } from '../../src/auth/rate-limits.js';
import { call, createUser, fakeIp, type Harness, STRONG_PASSWORD, startHarness, uniqueEmail } from '../harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function expectRateLimited(res: LightMyRequestResponse, windowSeconds: number) {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too Many Requests' });
  const retryAfter = String(res.headers['retry-after']);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeLessThanOrEqual(windowSeconds);
}

const userCount = (email: string) =>
  h.platform.db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email))
    .then((rows) => rows[0]?.n);

describe('rate limits', () => {
  it('limits password-reset requests per IP, whichever addresses they name', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.passwordReset.ip;
    expect(points).toBe(10);
    const ip = fakeIp();
    const forgot = (from: string) =>
      call(h.app, 'POST', '/api/v1/auth/forgot-password', { client: { ip: from }, body: { email: uniqueEmail('rl-forgot') } });
    for (let i = 0; i < points; i++) expect((await forgot(ip)).statusCode).toBe(202);
    expectRateLimited(await forgot(ip), durationSeconds);
    expectRateLimited(await forgot(ip), durationSeconds);
    expect((await forgot(fakeIp())).statusCode).toBe(202);
  });

  it('limits password-reset requests per account, across IPs', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.passwordReset.account;
    const email = uniqueEmail('rl-forgot-account');
    const forgot = (address: string) =>
      call(h.app, 'POST', '/api/v1/auth/forgot-password', { client: { ip: fakeIp() }, body: { email: address } });
    for (let i = 0; i < points; i++) expect((await forgot(email)).statusCode).toBe(202);
    // Case does not make it another account.
    expectRateLimited(await forgot(email.toUpperCase()), durationSeconds);
    expect((await forgot(uniqueEmail('rl-forgot-other'))).statusCode).toBe(202);
  });

  it('limits sign-ups per IP, and a refused sign-up creates nothing', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.signup.ip;
    expect(points).toBe(10);
    const ip = fakeIp();
    const signup = (from: string, email: string) =>
      call(h.app, 'POST', '/api/v1/auth/signup', {
        client: { ip: from },
        body: { email, password: STRONG_PASSWORD, name: 'Limited', organization: 'Limited Org' },
      });
    const results = await Promise.all(Array.from({ length: points }, () => signup(ip, uniqueEmail('rl-signup'))));
    expect(results.map((r) => r.statusCode)).toEqual(Array(points).fill(201));

    const refusedEmail = uniqueEmail('rl-signup-refused');
    expectRateLimited(await signup(ip, refusedEmail), durationSeconds);
    expect(await userCount(refusedEmail)).toBe(0);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: fakeIp() },
      body: { email: refusedEmail, password: STRONG_PASSWORD },
    });
    expect(login.json().code).toBe('invalid_credentials');

    // Another IP signs up the same address without trouble.
    expect((await signup(fakeIp(), refusedEmail)).statusCode).toBe(201);
    expect(await userCount(refusedEmail)).toBe(1);
  });

  it('limits logins per account across IPs, even with the right password', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.login.account;
    expect(points).toBe(20);
    const user = await createUser(h, { label: 'rl-login', verify: false });
    const other = await createUser(h, { label: 'rl-login-other', verify: false });
    // createUser logged in once already.
    const login = (email: string, ip = fakeIp()) =>
      call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password: STRONG_PASSWORD } });
    for (let i = 1; i < points; i++) expect((await login(user.email)).statusCode).toBe(200);
    const limited = await login(user.email.toUpperCase(), user.ip);
    expectRateLimited(limited, durationSeconds);
    expect(limited.cookies.find((c) => c.name === 'saas_refresh')).toBeUndefined();
    // The limit is the account's: another account from the same IP logs in.
    expect((await login(other.email, user.ip)).statusCode).toBe(200);
  });

  it('limits logins per IP across accounts', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.login.ip;
    const ip = fakeIp();
    const attempt = () =>
      call(h.app, 'POST', '/api/v1/auth/login', {
        client: { ip },
        body: { email: uniqueEmail('rl-nobody'), password: 'wrong-Password-1' },
      });
    for (let i = 0; i < points; i++) expect((await attempt()).json().code).toBe('invalid_credentials');
    expectRateLimited(await attempt(), durationSeconds);
  });
});
