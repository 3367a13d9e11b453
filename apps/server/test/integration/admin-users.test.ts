import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import {
  call,
  createUser,
  fakeIp,
  type Harness,
  joinTenant,
  STRONG_PASSWORD,
  startHarness,
  type TestUser,
  tokenFromLink,
  waitForMail,
} from '../harness.js';

/** The operators' Users screens: search, filters, sorts, the detail page, and each action with its audit row. */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let plain: TestUser;
const users = () => new UsersRepository(h.platform.db);
const reason = 'Customer asked by phone, ticket #4711';

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().code).toBe(code);
}

/** The user's audit trail as the detail page reads it. */
async function trail(userId: string, action: string) {
  const res = await call(h.app, 'GET', `/api/v1/admin/audit-log?userId=${userId}&action=${action}`, { client: admin });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { actor: { id: string; email: string }; targetId: string; reason: string | null; result: string }[];
}

beforeAll(async () => {
  h = await startHarness({ workerOptions: { consumers: ['mail'] } });
  [admin, support, plain] = await Promise.all([
    createUser(h, { label: 'au-admin' }),
    createUser(h, { label: 'au-support' }),
    createUser(h, { label: 'au-plain' }),
  ]);
  await users().update(admin.userId, { platformRole: 'admin' });
  await users().update(support.userId, { platformRole: 'support' });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('users list', () => {
  const tag = `lst${randomUUID().slice(0, 6)}`;
  let people: TestUser[];

  beforeAll(async () => {
    // Created one after another, so their creation order is known.
    people = [];
    for (const label of ['c', 'a', 'd', 'b']) people.push(await createUser(h, { label: `${tag}-${label}`, verify: 'direct' }));
    const [c, a, d] = people as [TestUser, TestUser, TestUser, TestUser];
    await users().update(c.userId, { totpEnabledAt: new Date() });
    await users().update(a.userId, { disabledAt: new Date(), platformRole: 'support' });
    await users().update(d.userId, { lockedUntil: new Date(Date.now() + 600_000) });
  }, 30_000);

  const list = async (query: string) => {
    const res = await call(h.app, 'GET', `/api/v1/admin/users?q=${tag}&${query}`, { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: { email: string; lastLoginAt: string | null }[]; total: number };
    return { emails: body.items.map((u) => u.email.split('-')[1]), total: body.total, items: body.items };
  };

  it('searches, sorts and pages on the server', async () => {
    expect(await list('sort=email&order=asc')).toMatchObject({ emails: ['a', 'b', 'c', 'd'], total: 4 });
    expect((await list('sort=email&order=desc')).emails).toEqual(['d', 'c', 'b', 'a']);
    expect((await list('sort=created&order=asc')).emails).toEqual(['c', 'a', 'd', 'b']);
    expect(await list('sort=email&order=asc&limit=2&offset=2')).toMatchObject({ emails: ['c', 'd'], total: 4 });
    // Each signed up and logged in: the last login is the latest session, newest first.
    const byLogin = await list('sort=lastLogin&order=desc');
    expect(byLogin.emails).toEqual(['b', 'd', 'a', 'c']);
    expect(byLogin.items.every((u) => u.lastLoginAt)).toBe(true);
  });

  it('filters by two-factor, disabled, locked and platform role', async () => {
    expect((await list('twoFactor=true')).emails).toEqual(['c']);
    expect((await list('twoFactor=false&sort=email&order=asc')).emails).toEqual(['a', 'b', 'd']);
    expect((await list('disabled=true')).emails).toEqual(['a']);
    expect((await list('disabled=false&sort=email&order=asc')).emails).toEqual(['b', 'c', 'd']);
    expect((await list('locked=true')).emails).toEqual(['d']);
    expect((await list('platformRole=support')).emails).toEqual(['a']);
    expect((await list('platformRole=none&disabled=false&twoFactor=false')).emails.sort()).toEqual(['b', 'd']);
    const bad = await call(h.app, 'GET', '/api/v1/admin/users?sort=password', { client: admin });
    expect(bad.statusCode).toBe(400);
  });
});

describe('user detail', () => {
  it('shows the profile, tenants with roles and live sessions to staff', async () => {
    const owner = await createUser(h, { label: 'au-owner' });
    const person = await createUser(h, { label: 'au-person' });
    await joinTenant(h, owner, person, 'admin');
    const res = await call(h.app, 'GET', `/api/v1/admin/users/${person.userId}`, { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const detail = res.json();
    expect(detail.user).toMatchObject({ id: person.userId, email: person.email, emailVerified: true, disabled: false, totpEnabled: false });
    expect(detail.tenants.map((t: { id: string; role: string }) => [t.id, t.role]).sort()).toEqual(
      [
        [person.tenantId, 'owner'],
        [owner.tenantId, 'admin'],
      ].sort(),
    );
    expect(detail.sessions).toHaveLength(1);
    expect(detail.sessions[0]).toMatchObject({ ip: person.ip, impersonation: null });

    expect((await call(h.app, 'GET', `/api/v1/admin/users/${randomUUID()}`, { client: admin })).statusCode).toBe(404);
    expectProblem(await call(h.app, 'GET', `/api/v1/admin/users/${person.userId}`, { client: plain }), 403, 'forbidden');
  });
});

describe('operator actions', () => {
  it('force logout ends every session, needs a reason, and is audited with it', async () => {
    const target = await createUser(h, { label: 'au-fl', verify: 'direct' });
    const second = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: target.ip },
      body: { email: target.email, password: STRONG_PASSWORD },
    });
    expect(second.statusCode).toBe(200);
    const url = `/api/v1/admin/users/${target.userId}/force-logout`;
    expect((await call(h.app, 'POST', url, { client: admin, body: { reason: 'short' } })).statusCode).toBe(400);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).statusCode).toBe(200);

    const res = await call(h.app, 'POST', url, { client: admin, body: { reason } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ revokedSessions: 2 });
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: target }), 401, 'session_revoked');
    const refresh = await call(h.app, 'POST', '/api/v1/auth/refresh', { client: target });
    expect(refresh.statusCode).toBe(401);

    const [row] = await trail(target.userId, 'admin.force_logout');
    expect(row).toMatchObject({ actor: { id: admin.userId, email: admin.email }, targetId: target.userId, reason, result: 'success' });
    expectProblem(
      await call(h.app, 'POST', `/api/v1/admin/users/${admin.userId}/force-logout`, { client: admin, body: { reason } }),
      409,
      'cannot_change_self',
    );
  });

  it('disable and enable keep working, with the reason in the audit row', async () => {
    const target = await createUser(h, { label: 'au-dis', verify: 'direct' });
    const url = `/api/v1/admin/users/${target.userId}`;
    const off = await call(h.app, 'PATCH', url, { client: admin, body: { disabled: true, reason } });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ disabled: true });
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).statusCode).toBe(401);
    const login = { client: { ip: fakeIp() }, body: { email: target.email, password: STRONG_PASSWORD } };
    expectProblem(await call(h.app, 'POST', '/api/v1/auth/login', login), 403, 'account_disabled');
    expect((await call(h.app, 'PATCH', url, { client: admin, body: { disabled: false } })).json()).toMatchObject({ disabled: false });
    expect((await call(h.app, 'POST', '/api/v1/auth/login', login)).statusCode).toBe(200);
    const rows = await trail(target.userId, 'admin.update_user');
    expect(rows.map((r) => r.reason)).toEqual([null, reason]);
  });

  it('reset two-factor removes the secret and the recovery codes, signs the user out and mails them', async () => {
    const target = await createUser(h, { label: 'au-2fa' });
    const setup = await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: target });
    const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(setup.json().secret) });
    const enabled = await call(h.app, 'POST', '/api/v1/me/totp/enable', { client: target, body: { code: totp.generate() } });
    expect(enabled.statusCode, enabled.body).toBe(200);
    const [recoveryCode] = enabled.json().recoveryCodes as string[];

    const url = `/api/v1/admin/users/${target.userId}/reset-two-factor`;
    expect((await call(h.app, 'POST', url, { client: admin, body: {} })).statusCode).toBe(400);
    const res = await call(h.app, 'POST', url, { client: admin, body: { reason } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).statusCode).toBe(401);
    const row = await users().findById(target.userId);
    expect(row).toMatchObject({ totpEnabledAt: null, totpSecret: null });
    await waitForMail(h.app, target.email, 'Two-factor authentication was turned off');
    // The password alone logs in now; an old recovery code is worth nothing.
    const ip = fakeIp();
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip },
      body: { email: target.email, password: STRONG_PASSWORD },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(await h.platform.totp.useRecoveryCode(target.userId, recoveryCode ?? '')).toBe(false);
    expect((await trail(target.userId, 'admin.reset_two_factor'))[0]).toMatchObject({ actor: { id: admin.userId }, reason });
    expectProblem(await call(h.app, 'POST', url, { client: admin, body: { reason } }), 409, 'totp_not_enabled');
  });

  it('send a password reset mails the normal link and changes nothing until the user follows it', async () => {
    const target = await createUser(h, { label: 'au-pw', verify: 'direct' });
    const res = await call(h.app, 'POST', `/api/v1/admin/users/${target.userId}/password-reset`, { client: admin, body: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toMatch(/token=/);
    const mail = await waitForMail(h.app, target.email, 'Reset your password');
    // The old password still works: nothing was set.
    const ip = fakeIp();
    const login = { client: { ip }, body: { email: target.email, password: STRONG_PASSWORD } };
    expect((await call(h.app, 'POST', '/api/v1/auth/login', login)).statusCode).toBe(200);
    const reset = await call(h.app, 'POST', '/api/v1/auth/reset-password', {
      client: { ip },
      body: { token: tokenFromLink(mail.links[0] ?? ''), password: `${STRONG_PASSWORD}-new` },
    });
    expect(reset.statusCode, reset.body).toBe(204);
    expect((await trail(target.userId, 'admin.send_password_reset'))[0]).toMatchObject({ actor: { id: admin.userId }, result: 'success' });
  });

  it('refuses every write to support staff and tenant users, and changes nothing', async () => {
    const target = await createUser(h, { label: 'au-ro', verify: 'direct' });
    const writes: [string, string, unknown][] = [
      ['PATCH', `/api/v1/admin/users/${target.userId}`, { disabled: true, reason }],
      ['POST', `/api/v1/admin/users/${target.userId}/force-logout`, { reason }],
      ['POST', `/api/v1/admin/users/${target.userId}/reset-two-factor`, { reason }],
      ['POST', `/api/v1/admin/users/${target.userId}/password-reset`, {}],
    ];
    for (const client of [support, plain]) {
      for (const [method, url, body] of writes) {
        expectProblem(await call(h.app, method as 'POST', url, { client, body }), 403, 'forbidden');
      }
    }
    expectProblem(
      await call(h.app, 'POST', `/api/v1/admin/users/${target.userId}/impersonate`, { client: plain, body: { reason } }),
      403,
      'forbidden',
    );
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).statusCode).toBe(200);
    expect(await users().findById(target.userId)).toMatchObject({ disabledAt: null });
    const denied = await trail(target.userId, 'admin.force_logout');
    expect(denied.map((r) => r.result)).toEqual(['failure', 'failure']);
  });
});
