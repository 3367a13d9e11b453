import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { call, createUser, type Harness, refreshCookieFrom, STRONG_PASSWORD, startHarness } from '../harness.js';

/**
 * The API as configured for production. SMTP points at a closed port and no worker runs, so
 * nothing is ever sent; mail only reaches the outbox.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    withWorker: false,
    env: {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://cloud.example.test',
      ADMIN_URL: 'https://admin.cloud.example.test',
      SMTP_URL: 'smtp://127.0.0.1:1',
      // Empty = unset: production's default, which the mailbox test below checks.
      DEV_MAILBOX: '',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    },
  });
});
afterAll(async () => {
  await h.close();
});

describe('production mode', () => {
  it('runs with the production configuration', () => {
    expect(h.platform.config).toMatchObject({ production: true, secureCookies: true, smtpUrl: 'smtp://127.0.0.1:1' });
  });

  it('does not serve the local mailbox', async () => {
    const res = await call(h.app, 'GET', '/api/v1/dev/mailbox?to=someone@example.com');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('route_not_found');
    const doc = h.app.swagger() as unknown as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/api/v1/dev/mailbox');
    expect(Object.keys(doc.paths)).toContain('/api/v1/auth/login');
  });

  it('puts mail for the outbox with https links to the public URL', async () => {
    const user = await createUser(h, { label: 'prod-mail', verify: false });
    const rows = await h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, user.email));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.links[0]).toMatch(/^https:\/\/cloud\.example\.test\/verify-email\?token=[\w-]{43}$/);
    expect(rows[0]?.status).toBe('pending');
  });

  it('sets the refresh cookie Secure, HttpOnly and SameSite=Strict, on login, refresh and logout', async () => {
    const user = await createUser(h, { label: 'prod-cookie', verify: false });
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: user.ip },
      body: { email: user.email, password: STRONG_PASSWORD },
    });
    expect(login.statusCode, login.body).toBe(200);
    // `__Host-`: Secure, Path=/ and no Domain, so no tenant page on a subdomain can set or shadow it.
    const expectation = { name: '__Host-saas_refresh', secure: true, httpOnly: true, sameSite: 'Strict', path: '/' };
    expect(login.cookies).toEqual([expect.objectContaining(expectation)]);
    expect(login.cookies[0]?.domain).toBeUndefined();
    expect(String(login.headers['set-cookie'])).toMatch(/;\s*Secure/);
    expect(String(login.headers['set-cookie'])).not.toMatch(/domain=/i);
    // The plain name is not read under TLS: a cookie a subdomain could have planted does not count.
    const planted = await call(h.app, 'POST', '/api/v1/auth/refresh', {
      client: { ip: user.ip, cookie: refreshCookieFrom(login)?.replace('__Host-', '') },
    });
    expect(planted.statusCode).toBe(401);

    const refreshed = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: { ip: user.ip, cookie: refreshCookieFrom(login) } });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(refreshed.cookies).toEqual([expect.objectContaining(expectation)]);

    const logout = await call(h.app, 'POST', '/api/v1/auth/logout', { client: { ip: user.ip, cookie: refreshCookieFrom(refreshed) } });
    expect(logout.statusCode).toBe(204);
    expect(logout.cookies).toEqual([expect.objectContaining({ ...expectation, value: '' })]);
  });

  it('requires two-factor authentication of platform staff before the admin routes', async () => {
    const [admin, support, plain] = await Promise.all([
      createUser(h, { label: 'prod-admin', verify: false }),
      createUser(h, { label: 'prod-support', verify: false }),
      createUser(h, { label: 'prod-plain', verify: false }),
    ]);
    await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
    await new UsersRepository(h.platform.db).update(support.userId, { platformRole: 'support' });

    for (const staff of [admin, support]) {
      for (const url of ['/api/v1/admin/users', '/api/v1/admin/overview', '/api/v1/admin/audit-log']) {
        const res = await call(h.app, 'GET', url, { client: staff });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
        expect(res.json().code).toBe('totp_setup_required');
      }
    }
    // Someone who is not staff is simply forbidden: no hint about two-factor.
    const denied = await call(h.app, 'GET', '/api/v1/admin/users', { client: plain });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('forbidden');
    // Their own account routes still work, so they can set two-factor up.
    expect((await call(h.app, 'GET', '/api/v1/me', { client: admin })).statusCode).toBe(200);

    const setup = await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: admin });
    expect(setup.statusCode, setup.body).toBe(200);
    const code = new TOTP({ secret: Secret.fromBase32(setup.json().secret) }).generate();
    expect((await call(h.app, 'POST', '/api/v1/me/totp/enable', { client: admin, body: { code } })).statusCode).toBe(200);
    const allowed = await call(h.app, 'GET', `/api/v1/admin/users?q=${encodeURIComponent(admin.email)}`, { client: admin });
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.json().items).toEqual([expect.objectContaining({ id: admin.userId, totpEnabled: true, platformRole: 'admin' })]);
    expect((await call(h.app, 'GET', '/api/v1/admin/users', { client: support })).json().code).toBe('totp_setup_required');
  });
});
