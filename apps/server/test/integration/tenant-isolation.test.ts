import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/auth/auth.tables.js';
import { invitations, memberships, tenants } from '../../src/tenants/tenants.tables.js';
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
  uniqueEmail,
  waitForMail,
} from '../harness.js';

/**
 * Two tenants, A and B. Nothing a user of A does may read or change anything of B, and B's
 * resources must look exactly like resources that do not exist.
 */

let h: Harness;
let a: TestUser;
let b: TestUser;
let bMember: TestUser;
let inviteeEmail: string;
let bInvitationId: string;
let bInvitationToken: string;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Everything of B's tenant, read the way B sees it and straight from the database. */
async function stateOfB() {
  const read = async (url: string) => {
    const res = await call(h.app, 'GET', url, { client: b });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json();
  };
  const base = `/api/v1/tenants/${b.tenantId}`;
  return {
    tenant: await read(base),
    members: await read(`${base}/members`),
    invitations: await read(`${base}/invitations`),
    tenantRow: await h.platform.db.query.tenants.findFirst({ where: eq(tenants.id, b.tenantId) }),
    membershipRows: await h.platform.db.select().from(memberships).where(eq(memberships.tenantId, b.tenantId)),
    invitationRows: await h.platform.db.select().from(invitations).where(eq(invitations.tenantId, b.tenantId)),
  };
}
let before: Awaited<ReturnType<typeof stateOfB>>;

beforeAll(async () => {
  h = await startHarness();
  [a, b, bMember] = await Promise.all([
    createUser(h, { label: 'iso-a' }),
    createUser(h, { label: 'iso-b' }),
    createUser(h, { label: 'iso-bm' }),
  ]);
  await joinTenant(h, b, bMember, 'member');
  inviteeEmail = uniqueEmail('iso-invitee');
  const invite = await call(h.app, 'POST', `/api/v1/tenants/${b.tenantId}/invitations`, {
    client: b,
    body: { email: inviteeEmail, role: 'admin' },
  });
  expect(invite.statusCode, invite.body).toBe(201);
  bInvitationId = invite.json().id;
  bInvitationToken = tokenFromLink((await waitForMail(h.app, inviteeEmail, 'invited you')).links[0] ?? '');
  before = await stateOfB();
  expect(before.members).toHaveLength(2);
  expect(before.invitations).toHaveLength(1);
});
afterAll(async () => {
  await h.close();
});

describe('tenant isolation', () => {
  it('answers 404 not_found to a user of A for every route of B’s tenant, and changes nothing', async () => {
    const bt = `/api/v1/tenants/${b.tenantId}`;
    const attempts: [Method, string, unknown?][] = [
      ['GET', bt],
      ['PATCH', bt, { name: 'Taken over' }],
      ['GET', `${bt}/members`],
      ['PATCH', `${bt}/members/${bMember.userId}`, { role: 'admin' }],
      ['PATCH', `${bt}/members/${b.userId}`, { role: 'member' }],
      ['DELETE', `${bt}/members/${bMember.userId}`],
      ['DELETE', `${bt}/members/${b.userId}`],
      ['GET', `${bt}/invitations`],
      ['POST', `${bt}/invitations`, { email: a.email, role: 'admin' }],
      ['DELETE', `${bt}/invitations/${bInvitationId}`],
      ['POST', `${bt}/transfer-ownership`, { userId: a.userId }],
      ['GET', `${bt}/audit-log`],
    ];
    const requestIds: string[] = [];
    for (const [method, url, body] of attempts) {
      const res = await call(h.app, method, url, { client: a, ...(body === undefined ? {} : { body }) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, `${method} ${url}`).toBe('not_found');
      requestIds.push(String(res.headers['x-request-id']));
    }

    // B's tenant is indistinguishable from one that does not exist.
    const hidden = await call(h.app, 'GET', bt, { client: a });
    const missing = await call(h.app, 'GET', `/api/v1/tenants/${randomUUID()}`, { client: a });
    const shape = (body: Record<string, unknown>) => ({ ...body, instance: undefined, requestId: undefined });
    expect(missing.statusCode).toBe(404);
    expect(shape(hidden.json())).toEqual(shape(missing.json()));

    expect(await stateOfB()).toEqual(before);

    // The attempts are on record as failures, but not in B's own audit log.
    const rows = await h.platform.db.query.auditLog.findMany({ where: (t, { eq }) => eq(t.actorId, a.userId) });
    const attemptRows = rows.filter((r) => r.requestId && requestIds.includes(r.requestId));
    expect(attemptRows.length).toBe(attempts.filter(([m]) => m !== 'GET').length);
    expect(attemptRows.every((r) => r.result === 'failure' && r.statusCode === '404' && r.tenantId !== b.tenantId)).toBe(true);
    const bLog = await call(h.app, 'GET', `${bt}/audit-log?limit=200`, { client: b });
    expect(bLog.statusCode).toBe(200);
    expect(bLog.json().items.length).toBeGreaterThan(0);
    expect(bLog.json().items.filter((e: { actor: { id: string } | null }) => e.actor?.id === a.userId)).toEqual([]);
  });

  it('does not let A reach B’s members or invitations through A’s own tenant', async () => {
    const at = `/api/v1/tenants/${a.tenantId}`;
    const attempts: [Method, string, unknown?][] = [
      ['PATCH', `${at}/members/${bMember.userId}`, { role: 'member' }],
      ['PATCH', `${at}/members/${b.userId}`, { role: 'admin' }],
      ['DELETE', `${at}/members/${bMember.userId}`],
      ['DELETE', `${at}/members/${b.userId}`],
      ['DELETE', `${at}/invitations/${bInvitationId}`],
      ['POST', `${at}/transfer-ownership`, { userId: b.userId }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(h.app, method, url, { client: a, ...(body === undefined ? {} : { body }) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    expect(await stateOfB()).toEqual(before);
    const aMembers = await h.platform.db.select().from(memberships).where(eq(memberships.tenantId, a.tenantId));
    expect(aMembers.map((m) => [m.userId, m.role])).toEqual([[a.userId, 'owner']]);
  });

  it('lists only A’s own tenant in GET /tenants and GET /me', async () => {
    const list = await call(h.app, 'GET', '/api/v1/tenants', { client: a });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([{ id: a.tenantId, name: `Org of ${a.email}`, role: 'owner', createdAt: expect.any(String) }]);
    const me = await call(h.app, 'GET', '/api/v1/me', { client: a });
    expect(me.json().tenants).toEqual([{ id: a.tenantId, name: `Org of ${a.email}`, role: 'owner' }]);
    // A member of B sees B (and their own), never A.
    const bmList = (await call(h.app, 'GET', '/api/v1/tenants', { client: bMember })).json() as { id: string; role: string }[];
    expect(bmList.map((t) => [t.id, t.role]).sort()).toEqual(
      [
        [bMember.tenantId, 'owner'],
        [b.tenantId, 'member'],
      ].sort(),
    );
  });

  it('refuses admin routes to a normal user', async () => {
    const attempts: [Method, string, unknown?][] = [
      ['GET', '/api/v1/admin/overview'],
      ['GET', '/api/v1/admin/users'],
      ['GET', `/api/v1/admin/users?q=${encodeURIComponent(b.email)}`],
      ['GET', '/api/v1/admin/tenants'],
      ['GET', '/api/v1/admin/audit-log'],
      ['PATCH', `/api/v1/admin/users/${b.userId}`, { disabled: true }],
      ['PATCH', `/api/v1/admin/users/${a.userId}`, { platformRole: 'admin' }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(h.app, method, url, { client: a, ...(body === undefined ? {} : { body }) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(res.json().code).toBe('forbidden');
      expect(res.body).not.toContain(b.email);
    }
    const [bRow, aRow] = await Promise.all(
      [b.userId, a.userId].map((id) => h.platform.db.query.users.findFirst({ where: eq(users.id, id) })),
    );
    expect(bRow?.disabledAt).toBeNull();
    expect(aRow?.platformRole).toBeNull();
    expect((await call(h.app, 'GET', '/api/v1/me', { client: b })).statusCode).toBe(200);
  });

  it('lets only the invited address accept an invitation of B', async () => {
    for (const outsider of [a, bMember]) {
      const res = await call(h.app, 'POST', '/api/v1/invitations/accept', { client: outsider, body: { token: bInvitationToken } });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('invitation_email_mismatch');
    }
    expect((await call(h.app, 'GET', `/api/v1/tenants/${b.tenantId}`, { client: a })).statusCode).toBe(404);
    expect(await stateOfB()).toEqual(before);

    // The token itself is good: the invited address can use it.
    const ip = fakeIp();
    const signup = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip },
      body: { email: inviteeEmail, password: STRONG_PASSWORD, name: 'Invitee', organization: 'Invitee Org' },
    });
    expect(signup.statusCode, signup.body).toBe(202);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip },
      body: { email: inviteeEmail, password: STRONG_PASSWORD },
    });
    const invitee = { ip, token: login.json().accessToken as string };
    const accepted = await call(h.app, 'POST', '/api/v1/invitations/accept', { client: invitee, body: { token: bInvitationToken } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toEqual({ tenantId: b.tenantId });
    expect((await call(h.app, 'GET', `/api/v1/tenants/${b.tenantId}`, { client: invitee })).json().role).toBe('admin');
  });
});
