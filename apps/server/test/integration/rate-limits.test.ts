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
    expect(results.map((r) => r.statusCode)).toEqual(Array(points).fill(202));

    const refusedEmail = uniqueEmail('rl-signup-refused');
    expectRateLimited(await signup(ip, refusedEmail), durationSeconds);
    expect(await userCount(refusedEmail)).toBe(0);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: fakeIp() },
      body: { email: refusedEmail, password: STRONG_PASSWORD },
    });
    expect(login.json().code).toBe('invalid_credentials');

    // Another IP signs up the same address without trouble.
    expect((await signup(fakeIp(), refusedEmail)).statusCode).toBe(202);
    expect(await userCount(refusedEmail)).toBe(1);
  });

  it('limits sign-ups per address across IPs, whether or not the address has an account', async () => {
    const { points, durationSeconds } = AUTH_LIMITS.signup.account;
    expect(points).toBe(5);
    const taken = await createUser(h, { label: 'rl-signup-taken', verify: false }); // one sign-up spent
    const free = uniqueEmail('rl-signup-free');
    const signup = (email: string) =>
      call(h.app, 'POST', '/api/v1/auth/signup', {
        client: { ip: fakeIp() },
        body: { email, password: STRONG_PASSWORD, name: 'Limited', organization: 'Limited Org' },
      });
    for (let i = 1; i < points; i++) expect((await signup(taken.email)).statusCode).toBe(202);
    for (let i = 0; i < points; i++) expect((await signup(free)).statusCode).toBe(202);
    expectRateLimited(await signup(taken.email.toUpperCase()), durationSeconds);
    expectRateLimited(await signup(free), durationSeconds);
    expect(await userCount(free)).toBe(1);
  });

  it('has no account-wide login limit that others could spend: the owner still logs in', async () => {
    expect(AUTH_LIMITS.login).not.toHaveProperty('account');
    const user = await createUser(h, { label: 'rl-login', verify: false });
    const login = (password: string) =>
      call(h.app, 'POST', '/api/v1/auth/login', { client: { ip: fakeIp() }, body: { email: user.email, password } });
    // Far more failures than any per-source threshold, each from its own source.
    for (let i = 0; i < 25; i++) expect((await login(`wrong-Password-${i}`)).statusCode).toBe(401);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
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
