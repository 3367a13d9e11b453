import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../src/auth/auth.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import {
  type Client,
  call,
  createUser,
  type Harness,
  joinTenant,
  refreshCookieFrom,
  STRONG_PASSWORD,
  startHarness,
  type TestUser,
} from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';

/** Support impersonation: who may start it, the single-use handoff, what the session may do, its end and its audit trail. */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;
let target: TestUser;
const reason = 'Customer cannot find the backups page (ticket #93)';
const users = () => new UsersRepository(h.platform.db);

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().code).toBe(code);
}

const start = (operator: Client, userId: string, body: Record<string, unknown> = { reason }) =>
  call(h.app, 'POST', `/api/v1/admin/users/${userId}/impersonate`, { client: operator, body });

/** Starts an impersonation and opens its link the way the tenant app does: a session as the target. */
async function impersonate(operator: Client, body: Record<string, unknown> = { reason }) {
  const started = await start(operator, target.userId, body);
  expect(started.statusCode, started.body).toBe(201);
  const { url, sessionId, expiresAt } = started.json() as { url: string; sessionId: string; expiresAt: string };
  const code = new URL(url).hash.replace('#code=', '');
  const client: Client = { ip: '10.77.0.1' };
  const exchanged = await call(h.app, 'POST', '/api/v1/auth/impersonation/exchange', { client, body: { code } });
  expect(exchanged.statusCode, exchanged.body).toBe(200);
  return {
    url,
    code,
    sessionId,
    expiresAt,
    exchanged,
    client: { ...client, token: exchanged.json().accessToken as string, cookie: refreshCookieFrom(exchanged) ?? '' },
  };
}

beforeAll(async () => {
  h = await startHarness({ workerOptions: { consumers: ['mail'] } });
  [admin, support, owner, target] = await Promise.all([
    createUser(h, { label: 'imp-admin' }),
    createUser(h, { label: 'imp-support' }),
    createUser(h, { label: 'imp-owner' }),
    createUser(h, { label: 'imp-target' }),
  ]);
  await users().update(admin.userId, { platformRole: 'admin' });
  await users().update(support.userId, { platformRole: 'support' });
  // The target owns a tenant and is an admin of another one.
  await joinTenant(h, owner, target, 'admin');
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('starting an impersonation', () => {
  it('validates the reason and the duration', async () => {
    expect((await start(admin, target.userId, {})).statusCode).toBe(400);
    expect((await start(admin, target.userId, { reason: 'too short' })).statusCode).toBe(400);
    expect((await start(admin, target.userId, { reason: 'x'.repeat(501) })).statusCode).toBe(400);
    expect((await start(admin, target.userId, { reason, minutes: 4 })).statusCode).toBe(400);
    expect((await start(admin, target.userId, { reason, minutes: 61 })).statusCode).toBe(400);
  });

  it('refuses staff, disabled and unknown users, and callers who are not staff', async () => {
    expectProblem(await start(admin, support.userId), 409, 'cannot_impersonate_staff');
    // Support staff stay read-only: impersonating would let them act as the user.
    expectProblem(await start(support, target.userId), 403, 'forbidden');
    expectProblem(await start(admin, admin.userId), 409, 'cannot_impersonate_staff');
    const disabled = await createUser(h, { label: 'imp-disabled', verify: 'direct' });
    await users().update(disabled.userId, { disabledAt: new Date() });
    expectProblem(await start(admin, disabled.userId), 409, 'user_disabled');
    expectProblem(await start(admin, randomUUID()), 404, 'not_found');
    expectProblem(await start(owner, target.userId), 403, 'forbidden');
    expectProblem(await start(target, owner.userId), 403, 'forbidden');
  });
});

describe('an impersonation session', () => {
  it('is handed over once, lasts the chosen time and tells the tenant app who is watching', async () => {
    const before = Date.now();
    const { code, client, exchanged, expiresAt, url } = await impersonate(admin, { reason, minutes: 5 });
    expect(url.startsWith(`${h.platform.config.publicUrl}/impersonate#code=`)).toBe(true);
    expect(Date.parse(expiresAt) - before).toBeGreaterThanOrEqual(5 * 60_000 - 1000);
    expect(Date.parse(expiresAt) - before).toBeLessThanOrEqual(5 * 60_000 + 5000);
    // The refresh cookie dies with the session.
    const cookie = exchanged.cookies.find((c) => c.name.endsWith('saas_refresh'));
    expect(Math.abs((cookie?.expires?.getTime() ?? 0) - Date.parse(expiresAt))).toBeLessThan(1000);

    // A code works once.
    expectProblem(await call(h.app, 'POST', '/api/v1/auth/impersonation/exchange', { body: { code } }), 401, 'invalid_handoff');
    expectProblem(
      await call(h.app, 'POST', '/api/v1/auth/impersonation/exchange', { body: { code: 'x'.repeat(43) } }),
      401,
      'invalid_handoff',
    );

    const me = await call(h.app, 'GET', '/api/v1/me', { client });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({
      user: { id: target.userId, email: target.email },
      impersonation: { operatorEmail: admin.email, reason, expiresAt },
    });
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).json().impersonation).toBeNull();
    // The user sees support's session among their own, and may end it.
    const own = (await call(h.app, 'GET', '/api/v1/me/sessions', { client: target })).json() as { support: boolean; current: boolean }[];
    expect(own.filter((s) => s.support)).toHaveLength(1);
    expect(own.find((s) => s.current)).toMatchObject({ support: false });

    // Renewal works within the window and never past it.
    const renewed = await call(h.app, 'POST', '/api/v1/auth/refresh', { client });
    expect(renewed.statusCode, renewed.body).toBe(200);
    const renewedCookie = renewed.cookies.find((c) => c.name.endsWith('saas_refresh'));
    expect(Math.abs((renewedCookie?.expires?.getTime() ?? 0) - Date.parse(expiresAt))).toBeLessThan(1000);
  });

  it('ends at its expiry: neither its access token nor its refresh cookie works afterwards', async () => {
    const { client, sessionId } = await impersonate(admin);
    expect((await call(h.app, 'GET', '/api/v1/me', { client })).statusCode).toBe(200);
    await h.platform.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, sessionId));
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client }), 401, 'session_revoked');
    expectProblem(await call(h.app, 'POST', '/api/v1/auth/refresh', { client }), 401, 'invalid_refresh_token');
  });

  it('ends when the operator logs it out, and when the operator stops being staff', async () => {
    const first = await impersonate(admin);
    const logout = await call(h.app, 'POST', '/api/v1/auth/logout', { client: first.client });
    expect(logout.statusCode).toBe(204);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: first.client })).statusCode).toBe(401);
    expect((await call(h.app, 'POST', '/api/v1/auth/refresh', { client: first.client })).statusCode).toBe(401);
    // The user's own session is untouched.
    expect((await call(h.app, 'GET', '/api/v1/me', { client: target })).statusCode).toBe(200);

    const demoted = await createUser(h, { label: 'imp-demoted' });
    await users().update(demoted.userId, { platformRole: 'admin' });
    const second = await impersonate(demoted);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: second.client })).statusCode).toBe(200);
    await users().update(demoted.userId, { platformRole: null });
    expectProblem(await call(h.app, 'GET', '/api/v1/me', { client: second.client }), 401, 'session_revoked');
  });

  it('refuses sensitive account actions and every platform route with 403 impersonation_forbidden', async () => {
    const { client } = await impersonate(admin);
    const instance = await insertInstanceRow(h, target.tenantId, 'running');
    const attempts: [string, string, unknown][] = [
      ['POST', '/api/v1/me/password', { currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD}-x` }],
      ['POST', '/api/v1/me/totp/setup', {}],
      ['POST', '/api/v1/me/totp/enable', { code: '123456' }],
      ['POST', '/api/v1/me/totp/disable', { password: STRONG_PASSWORD, code: '123456' }],
      ['POST', `/api/v1/instances/${instance.id}/credentials`, {}],
      ['POST', `/api/v1/instances/${instance.id}/admin-password`, {}],
      ['POST', `/api/v1/tenants/${target.tenantId}/transfer-ownership`, { userId: owner.userId }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(h.app, method as 'POST', url, { client, ...(body === undefined ? {} : { body }) });
      expectProblem(res, 403, 'impersonation_forbidden');
    }
    // Platform routes too (the access check already refuses a customer account; the guard would refuse a promoted one).
    expect((await call(h.app, 'GET', '/api/v1/admin/users', { client })).statusCode).toBe(403);
    // The password is unchanged, and the user may still do all this themselves.
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: target.ip },
      body: { email: target.email, password: STRONG_PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    expect((await call(h.app, 'POST', '/api/v1/me/totp/setup', { client: target })).statusCode).toBe(200);
    // Ordinary work goes through.
    expect((await call(h.app, 'GET', `/api/v1/tenants/${target.tenantId}/members`, { client })).statusCode).toBe(200);
  });
});

describe('the audit trail', () => {
  it('records the start in the platform log and in each of the user’s tenants, and names the operator on every request', async () => {
    const { client, sessionId } = await impersonate(admin);
    const renamed = await call(h.app, 'PATCH', '/api/v1/me', { client, body: { name: 'Renamed by support' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const refused = await call(h.app, 'POST', '/api/v1/me/totp/setup', { client });
    expect(refused.statusCode).toBe(403);

    // Each tenant's own log, read by its owner: the operator, the user and the reason.
    for (const [tenantId, reader] of [
      [target.tenantId, target],
      [owner.tenantId, owner],
    ] as const) {
      const res = await call(h.app, 'GET', `/api/v1/tenants/${tenantId}/audit-log?limit=200`, { client: reader });
      expect(res.statusCode, res.body).toBe(200);
      const started = (
        res.json().items as { action: string; actor: { id: string; email: string }; targetId: string; reason: string }[]
      ).filter((e) => e.action === 'admin.impersonation_started');
      expect(started[0]).toMatchObject({ actor: { id: admin.userId, email: admin.email }, targetId: target.userId, reason, tenantId });
    }

    const platformLog = await call(h.app, 'GET', `/api/v1/admin/audit-log?userId=${target.userId}&limit=200`, { client: support });
    const entries = platformLog.json().items as {
      action: string;
      tenantId: string | null;
      actor: { id: string };
      reason: string | null;
      result: string;
      impersonator: { id: string; email: string } | null;
    }[];
    const platformRow = entries.find((e) => e.action === 'admin.impersonation_started' && e.tenantId === null);
    expect(platformRow).toMatchObject({ actor: { id: admin.userId }, reason, result: 'success' });
    expect(entries.find((e) => e.action === 'account.update_profile')).toMatchObject({
      actor: { id: target.userId },
      impersonator: { id: admin.userId, email: admin.email },
    });
    expect(entries.find((e) => e.action === 'account.totp_setup')).toMatchObject({
      result: 'failure',
      impersonator: { id: admin.userId },
    });

    // The admin detail page marks the session.
    const detail = await call(h.app, 'GET', `/api/v1/admin/users/${target.userId}`, { client: support });
    expect(detail.json().sessions.find((s: { id: string }) => s.id === sessionId)).toMatchObject({
      impersonation: { operatorId: admin.userId, operatorEmail: admin.email, reason },
    });
  });
});
