import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoveryCodes, users } from '../../src/auth/auth.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import {
  type Client,
  call,
  createUser,
  fakeIp,
  type Harness,
  refreshCookieFrom,
  STRONG_PASSWORD,
  startHarness,
  type TestUser,
  tokenFromLink,
  uniqueEmail,
  waitForMail,
} from '../harness.js';

const NEW_PASSWORD = 'another-Strong-pass-42';
const LOCK_THRESHOLD = 3;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { LOGIN_LOCK_THRESHOLD: String(LOCK_THRESHOLD) } });
});
afterAll(async () => {
  await h.close();
});

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe(code);
}

const login = (ip: string, body: Record<string, unknown>) => call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body });

/** Logs in again: a second, independent session of the same user. */
async function newSession(user: TestUser, password = STRONG_PASSWORD): Promise<Client & { token: string }> {
  const ip = fakeIp();
  const res = await login(ip, { email: user.email, password });
  expect(res.statusCode, res.body).toBe(200);
  return { ip, token: res.json().accessToken, cookie: refreshCookieFrom(res) ?? '' };
}

const totpFor = (secret: string) => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });

/** A six-digit code that is wrong for every time step the server accepts (and then some). */
function wrongCode(secret: string): string {
  const totp = totpFor(secret);
  const near = new Set([-2, -1, 0, 1, 2].map((step) => totp.generate({ timestamp: Date.now() + step * 30_000 })));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

describe('two-factor authentication', () => {
  it('sets up, enables with a code, then requires it at login; recovery codes work once', async () => {
    const user = await createUser(h, { label: 'totp' });
    const { ip } = user;

    const setup = await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: user });
    expect(setup.statusCode, setup.body).toBe(200);
    const { secret, otpauthUrl } = setup.json() as { secret: string; otpauthUrl: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Odoo%20Cloud:/);
    expect(otpauthUrl).toContain(`secret=${secret}`);
    // Stored encrypted, and not active before it is confirmed.
    const stored = await h.platform.db.query.users.findFirst({ where: eq(users.id, user.userId) });
    expect(stored?.totpSecret).toBeTruthy();
    expect(stored?.totpSecret).not.toContain(secret);
    expect(stored?.totpEnabledAt).toBeNull();
    expect((await login(ip, { email: user.email, password: STRONG_PASSWORD })).statusCode).toBe(200);

    const badEnable = await call(h.app, 'POST', '/api/v1/me/totp/enable', { client: user, body: { code: wrongCode(secret) } });
    expectProblem(badEnable, 400, 'validation_failed');
    expect(badEnable.json().errors).toEqual([expect.objectContaining({ field: 'code', code: 'invalid_totp' })]);

    const enable = await call(h.app, 'POST', '/api/v1/me/totp/enable', { client: user, body: { code: totpFor(secret).generate() } });
    expect(enable.statusCode, enable.body).toBe(200);
    const codes = enable.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: user })).json().user.totpEnabled).toBe(true);
    expectProblem(await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: user }), 409, 'totp_already_enabled');

    const credentials = { email: user.email, password: STRONG_PASSWORD };
    expectProblem(await login(ip, credentials), 401, 'totp_required');
    expectProblem(await login(ip, { ...credentials, totpCode: wrongCode(secret) }), 401, 'invalid_totp');
    // The code does not stand in for the password.
    expectProblem(
      await login(ip, { ...credentials, password: 'wrong-Password-77', totpCode: totpFor(secret).generate() }),
      401,
      'invalid_credentials',
    );
    // The next step's code (within the allowed clock drift) works once; the one that enabled two-factor is used up.
    const nextCode = totpFor(secret).generate({ timestamp: Date.now() + 30_000 });
    const withCode = await login(ip, { ...credentials, totpCode: nextCode });
    expect(withCode.statusCode, withCode.body).toBe(200);
    expectProblem(await login(ip, { ...credentials, totpCode: nextCode }), 401, 'invalid_totp');
    expectProblem(await login(ip, { ...credentials, totpCode: totpFor(secret).generate() }), 401, 'invalid_totp');

    const [first = '', second = ''] = codes;
    expect((await login(ip, { ...credentials, recoveryCode: first })).statusCode).toBe(200);
    expectProblem(await login(ip, { ...credentials, recoveryCode: first }), 401, 'invalid_totp');
    // Codes are compared without case or dashes, as people type them.
    expect((await login(ip, { ...credentials, recoveryCode: second.replaceAll('-', '').toUpperCase() })).statusCode).toBe(200);

    // Let the clock move on past the codes used above (30-second steps), instead of waiting a minute.
    await h.platform.db.update(users).set({ totpLastStep: null }).where(eq(users.id, user.userId));
    const session = { ip, token: withCode.json().accessToken as string };
    const disable = (body: object) => call(h.app, 'POST', '/api/v1/me/totp/disable', { client: session, body });
    const wrongPassword = await disable({ password: 'wrong-Password-77', code: totpFor(secret).generate() });
    expectProblem(wrongPassword, 400, 'validation_failed');
    expect(wrongPassword.json().errors[0].field).toBe('password');
    expectProblem(await disable({ password: STRONG_PASSWORD, code: wrongCode(secret) }), 400, 'validation_failed');
    expect((await disable({ password: STRONG_PASSWORD, code: totpFor(secret).generate() })).statusCode).toBe(204);

    expect((await login(ip, credentials)).statusCode).toBe(200);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: session })).json().user.totpEnabled).toBe(false);
    const after = await h.platform.db.query.users.findFirst({ where: eq(users.id, user.userId) });
    expect(after?.totpSecret).toBeNull();
    expect(await h.platform.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.userId))).toEqual([]);
  });
});

describe('password reset', () => {
  it('mails a single-use link, refuses weak passwords, and signs out every session', async () => {
    const user = await createUser(h, { label: 'reset' });
    const ip = fakeIp();
    const unknown = uniqueEmail('reset-nobody');

    for (const email of [unknown, user.email]) {
      const res = await call(h.app, 'POST', '/api/v1/auth/forgot-password', { client: { ip }, body: { email } });
      expect(res.statusCode, res.body).toBe(202);
      expect(res.body).toBe('');
    }
    const mail = await waitForMail(h.app, user.email, 'Reset your password');
    expect(mail.links[0]).toMatch(/^http:\/\/localhost:8080\/reset-password\?token=[\w-]{43}$/);
    const token = tokenFromLink(mail.links[0] ?? '');
    // Nothing was even queued for the unknown address.
    expect(await h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, unknown))).toEqual([]);
    const unknownBox = await call(h.app, 'GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(unknown)}`);
    expect(unknownBox.json()).toEqual([]);

    const weak = await call(h.app, 'POST', '/api/v1/auth/reset-password', { client: { ip }, body: { token, password: 'password123' } });
    expectProblem(weak, 400, 'validation_failed');
    expect(weak.json().errors).toEqual([expect.objectContaining({ field: 'password', code: 'weak_password' })]);

    // The weak attempt did not spend the token.
    const reset = await call(h.app, 'POST', '/api/v1/auth/reset-password', { client: { ip }, body: { token, password: NEW_PASSWORD } });
    expect(reset.statusCode, reset.body).toBe(204);

    expectProblem(await call(h.app, 'POST', '/api/v1/auth/refresh', { client: user }), 401, 'invalid_refresh_token');
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: user }), 401, 'session_revoked');
    expectProblem(await login(ip, { email: user.email, password: STRONG_PASSWORD }), 401, 'invalid_credentials');
    expect((await login(ip, { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200);

    const again = await call(h.app, 'POST', '/api/v1/auth/reset-password', {
      client: { ip },
      body: { token, password: 'yet-another-Pass-43' },
    });
    expectProblem(again, 400, 'invalid_token');
    expect((await login(ip, { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200);
    await waitForMail(h.app, user.email, 'Your password was changed');
  });
});

// Login lockout (per source and address) is covered in login-lockout.test.ts.

describe('password change', () => {
  it('checks the current password, then signs out the other sessions but keeps this one', async () => {
    const user = await createUser(h, { label: 'chpw' });
    const other = await newSession(user);
    const change = (body: object) => call(h.app, 'POST', '/api/v1/me/password', { client: user, body });

    const wrong = await change({ currentPassword: 'wrong-Password-77', newPassword: NEW_PASSWORD });
    expectProblem(wrong, 400, 'validation_failed');
    expect(wrong.json().errors).toEqual([expect.objectContaining({ field: 'currentPassword', code: 'wrong_password' })]);
    const weak = await change({ currentPassword: STRONG_PASSWORD, newPassword: 'qwertyuiop' });
    expectProblem(weak, 400, 'validation_failed');
    expect(weak.json().errors).toEqual([expect.objectContaining({ field: 'newPassword', code: 'weak_password' })]);
    // Neither failure touched the other session.
    expect((await call(h.app, 'GET', '/api/v1/me', { client: other })).statusCode).toBe(200);

    expect((await change({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: user })).statusCode).toBe(200);
    expect((await call(h.app, 'POST', '/api/v1/auth/refresh', { client: user })).statusCode).toBe(200);
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: other }), 401, 'session_revoked');
    expectProblem(await call(h.app, 'POST', '/api/v1/auth/refresh', { client: other }), 401, 'invalid_refresh_token');
    expectProblem(await login(user.ip, { email: user.email, password: STRONG_PASSWORD }), 401, 'invalid_credentials');
    expect((await login(user.ip, { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200);
    await waitForMail(h.app, user.email, 'Your password was changed');
  });
});

describe('sessions', () => {
  it('lists the sessions with the current one marked, and revoking one kills its access token', async () => {
    const user = await createUser(h, { label: 'sessions' });
    const other = await newSession(user);
    const list = async (client: Client) => {
      const res = await call(h.app, 'GET', '/api/v1/me/sessions', { client });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { id: string; current: boolean; ip: string | null }[];
    };

    const seenByUser = await list(user);
    const seenByOther = await list(other);
    expect(seenByUser).toHaveLength(2);
    expect(seenByUser.filter((s) => s.current)).toHaveLength(1);
    expect(seenByOther.filter((s) => s.current)).toHaveLength(1);
    const mine = seenByUser.find((s) => s.current);
    const theirs = seenByOther.find((s) => s.current);
    expect(mine?.id).not.toBe(theirs?.id);
    expect(mine?.ip).toBe(user.ip);
    expect(theirs?.ip).toBe(other.ip);

    // Someone else's session id is "not found", and stays alive.
    const stranger = await createUser(h, { label: 'sessions-stranger' });
    const strangerSession = (await list(stranger))[0]?.id;
    expectProblem(await call(h.app, 'DELETE', `/api/v1/me/sessions/${strangerSession}`, { client: user }), 404, 'not_found');
    expect((await call(h.app, 'GET', '/api/v1/me', { client: stranger })).statusCode).toBe(200);

    expect((await call(h.app, 'DELETE', `/api/v1/me/sessions/${theirs?.id}`, { client: user })).statusCode).toBe(204);
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: other }), 401, 'session_revoked');
    expectProblem(await call(h.app, 'POST', '/api/v1/auth/refresh', { client: other }), 401, 'invalid_refresh_token');
    expect((await list(user)).map((s) => s.id)).toEqual([mine?.id]);
    expectProblem(await call(h.app, 'DELETE', `/api/v1/me/sessions/${theirs?.id}`, { client: user }), 404, 'not_found');
  });
});

describe('stale access tokens', () => {
  /** The same claims as a real token of the user, signed with the real key, but expired a minute ago. */
  async function expiredTokenOf(token: string) {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, iat: now - 1000, exp: now - 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(h.platform.config.jwtSecret));
  }

  it('does not keep public routes from working: refresh, login and logout go by the cookie or the body', async () => {
    const user = await createUser(h, { label: 'stale' });
    const expired = await expiredTokenOf(user.token);
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: { ...user, token: expired } }), 401, 'token_expired');

    // This is what the web client does once its access token has expired.
    const refreshed = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ...user, token: expired } });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const session = { ip: user.ip, token: refreshed.json().accessToken as string, cookie: refreshCookieFrom(refreshed) ?? '' };
    expect((await call(h.app, 'GET', '/api/v1/me', { client: session })).statusCode).toBe(200);

    const relogin = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: user.ip, token: 'not-a-jwt' },
      body: { email: user.email, password: STRONG_PASSWORD },
    });
    expect(relogin.statusCode, relogin.body).toBe(200);

    const logout = await call(h.app, 'POST', '/api/v1/auth/logout', { client: { ...session, token: await expiredTokenOf(session.token) } });
    expect(logout.statusCode, logout.body).toBe(204);
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: session }), 401, 'session_revoked');

    // Routes that need a user still refuse the stale token.
    expectProblem(await call(h.app, 'GET', '/api/v1/tenants', { client: { ...user, token: expired } }), 401, 'token_expired');
  });
});

describe('disabled accounts', () => {
  it('a platform admin disabling a user ends their sessions and blocks their login', async () => {
    const [admin, victim] = await Promise.all([createUser(h, { label: 'padmin' }), createUser(h, { label: 'victim' })]);
    await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
    const setDisabled = (disabled: boolean) =>
      call(h.app, 'PATCH', `/api/v1/admin/users/${victim.userId}`, { client: admin, body: { disabled } });

    const disabled = await setDisabled(true);
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(disabled.json()).toMatchObject({ id: victim.userId, disabled: true });
    expect((await call(h.app, 'GET', '/api/v1/me', { client: victim })).statusCode).toBe(401);
    expect((await call(h.app, 'POST', '/api/v1/auth/refresh', { client: victim })).statusCode).toBe(401);
    expectProblem(await login(victim.ip, { email: victim.email, password: STRONG_PASSWORD }), 403, 'account_disabled');
    // A wrong password says nothing about the account's state.
    expectProblem(await login(victim.ip, { email: victim.email, password: 'wrong-Password-77' }), 401, 'invalid_credentials');
    expectProblem(
      await call(h.app, 'PATCH', `/api/v1/admin/users/${admin.userId}`, { client: admin, body: { disabled: true } }),
      409,
      'cannot_change_self',
    );

    expect((await setDisabled(false)).json().disabled).toBe(false);
    expect((await login(victim.ip, { email: victim.email, password: STRONG_PASSWORD })).statusCode).toBe(200);
  });

  it('refuses a live access token as soon as the account is disabled', async () => {
    const user = await createUser(h, { label: 'disabled-live' });
    expect((await call(h.app, 'GET', '/api/v1/me', { client: user })).statusCode).toBe(200);
    // Disabled without revoking sessions (as another tool might): the token must still stop working.
    await h.platform.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.userId));
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: user }), 401, 'account_disabled');
  });
});
