import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  fakeIp,
  type Harness,
  refreshCookieFrom,
  STRONG_PASSWORD,
  startHarness,
  tokenFromLink,
  uniqueEmail,
  waitForMail,
} from '../harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('sign-up to logout', () => {
  it('signs up, verifies by mail, logs in, rotates refresh tokens, detects reuse and logs out', async () => {
    const ip = fakeIp();
    const client = { ip };
    const email = uniqueEmail('flow');

    const signup = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client,
      body: { email, password: STRONG_PASSWORD, name: 'Ada', organization: 'Ada Corp' },
    });
    // 202 "check your mail": the answer never says whether the address already had an account.
    expect(signup.statusCode, signup.body).toBe(202);
    expect(signup.json()).toEqual({ status: 'check_your_mail', message: expect.any(String) });

    // Not verified yet: can log in, /me shows the new account and its tenant.
    const early = await call(h.app, 'POST', '/api/v1/auth/login', { client, body: { email, password: STRONG_PASSWORD } });
    expect(early.statusCode).toBe(200);
    const earlyMe = await call(h.app, 'GET', '/api/v1/me', { client: { ip, token: early.json().accessToken } });
    expect(earlyMe.json().user).toMatchObject({ email, emailVerified: false, platformRole: null });
    expect(earlyMe.json().tenants).toEqual([{ id: expect.any(String), name: 'Ada Corp', role: 'owner' }]);
    const userId = earlyMe.json().user.id as string;

    const mail = await waitForMail(h.app, email, 'Confirm your email');
    expect(mail.links[0]).toMatch(/^http:\/\/localhost:8080\/verify-email\?token=/);
    const token = tokenFromLink(mail.links[0] ?? '');
    expect((await call(h.app, 'POST', '/api/v1/auth/verify-email', { client, body: { token } })).statusCode).toBe(204);
    // Single use.
    const again = await call(h.app, 'POST', '/api/v1/auth/verify-email', { client, body: { token } });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('invalid_token');

    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client,
      body: { email: email.toUpperCase(), password: STRONG_PASSWORD },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json().expiresIn).toBeLessThanOrEqual(900);
    const setCookie = login.cookies.find((c) => c.name === 'saas_refresh');
    expect(setCookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    const first = refreshCookieFrom(login);

    const me = await call(h.app, 'GET', '/api/v1/me', { client: { ip, token: login.json().accessToken } });
    expect(me.json().user.emailVerified).toBe(true);

    // Rotation: each refresh returns a new refresh token; the old one is spent.
    const r1 = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ip, cookie: first } });
    expect(r1.statusCode, r1.body).toBe(200);
    const second = refreshCookieFrom(r1);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const r2 = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ip, cookie: second } });
    expect(r2.statusCode).toBe(200);
    const third = refreshCookieFrom(r2);
    const liveAccess = r2.json().accessToken as string;
    expect((await call(h.app, 'GET', '/api/v1/me', { client: { ip, token: liveAccess } })).statusCode).toBe(200);

    // Reuse of a rotated token revokes the whole family: the newest token and its access token die too.
    const reuse = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ip, cookie: first } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('refresh_token_reused');
    const afterReuse = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ip, cookie: third } });
    expect(afterReuse.statusCode).toBe(401);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: { ip, token: liveAccess } })).statusCode).toBe(401);

    // A fresh login, then logout revokes that session.
    const login2 = await call(h.app, 'POST', '/api/v1/auth/login', { client, body: { email, password: STRONG_PASSWORD } });
    const session2 = { ip, token: login2.json().accessToken as string, cookie: refreshCookieFrom(login2) };
    const logout = await call(h.app, 'POST', '/api/v1/auth/logout', { client: session2 });
    expect(logout.statusCode).toBe(204);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: session2 })).statusCode).toBe(401);
    expect((await call(h.app, 'POST', '/api/v1/auth/refresh', { client: session2 })).statusCode).toBe(401);

    // Every step left an audit row.
    const { rows } = await h.platform.db.query.auditLog
      .findMany({ where: (t, { eq }) => eq(t.actorId, userId) })
      .then((r) => ({ rows: r }));
    const actions = rows.map((r) => `${r.action}:${r.result}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'auth.signup:success',
        'auth.login:success',
        'auth.refresh:success',
        'auth.refresh:failure',
        'auth.logout:success',
      ]),
    );
    expect(rows.every((r) => r.ip === ip)).toBe(true);
  });

  it('rejects a wrong password and an unknown account alike', async () => {
    const ip = fakeIp();
    const email = uniqueEmail('wrongpw');
    await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip },
      body: { email, password: STRONG_PASSWORD, name: 'B', organization: 'B' },
    });
    const wrong = await call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password: 'not-the-password-1' } });
    const unknown = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip },
      body: { email: uniqueEmail('nobody'), password: 'whatever-pass-1' },
    });
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('invalid_credentials');
    }
  });

  it('refuses a weak password with a field error', async () => {
    const res = await call(h.app, 'POST', '/api/v1/auth/signup', {
      body: { email: uniqueEmail('weak'), password: 'password123', name: 'C', organization: 'C' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'password', code: 'weak_password' }] });
  });

  // The second sign-up for an address is covered in signup-privacy.test.ts: same answer, mail to the owner.
});
