import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations, memberships } from '../../src/tenants/tenants.tables.js';
import {
  call,
  createUser,
  fakeIp,
  type Harness,
  startHarness,
  type TestUser,
  tokenFromLink,
  uniqueEmail,
  waitForMail,
} from '../harness.js';

/**
 * One tenant and its team, walked through the membership lifecycle in order: invitations,
 * role changes within each role's limits, removal, leaving, ownership transfer, and the audit trail.
 */

let h: Harness;
let owner: TestUser;
let admin: TestUser;
let admin2: TestUser;
let member: TestUser;
let member2: TestUser;
let leaver: TestUser;
let tenantUrl: string;
let memberInvitationId: string;

async function invite(by: TestUser, email: string, role: 'admin' | 'member') {
  return call(h.app, 'POST', `${tenantUrl}/invitations`, { client: by, body: { email, role } });
}

async function invitationToken(email: string) {
  const mail = await waitForMail(h.app, email, 'invited you');
  return tokenFromLink(mail.links[0] ?? '');
}

async function join(user: TestUser, role: 'admin' | 'member') {
  expect((await invite(owner, user.email, role)).statusCode).toBe(201);
  const accepted = await call(h.app, 'POST', '/api/v1/invitations/accept', {
    client: user,
    body: { token: await invitationToken(user.email) },
  });
  expect(accepted.statusCode, accepted.body).toBe(200);
}

async function roles(): Promise<Record<string, string>> {
  const res = await call(h.app, 'GET', `${tenantUrl}/members`, { client: owner });
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries((res.json() as { userId: string; role: string }[]).map((m) => [m.userId, m.role]));
}

const changeRole = (by: TestUser, target: TestUser, role: string) =>
  call(h.app, 'PATCH', `${tenantUrl}/members/${target.userId}`, { client: by, body: { role } });
const remove = (by: TestUser, target: TestUser) => call(h.app, 'DELETE', `${tenantUrl}/members/${target.userId}`, { client: by });

function expectProblem(res: { statusCode: number; body: string; json(): { code?: string } }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().code).toBe(code);
}

beforeAll(async () => {
  h = await startHarness();
  const user = (label: string) => createUser(h, { label: `team-${label}` });
  [owner, admin, admin2, member, member2, leaver] = await Promise.all([
    user('owner'),
    user('admin'),
    user('admin2'),
    user('member'),
    user('member2'),
    user('leaver'),
  ]);
  tenantUrl = `/api/v1/tenants/${owner.tenantId}`;
  await Promise.all([join(admin, 'admin'), join(admin2, 'admin'), join(member2, 'member'), join(leaver, 'member')]);
});
afterAll(async () => {
  await h.close();
});

describe('team management', () => {
  it('invites by mail, and the accepted invitation makes a member with the invited role', async () => {
    const created = await invite(owner, member.email.toUpperCase(), 'member');
    expect(created.statusCode, created.body).toBe(201);
    const invitation = created.json();
    expect(invitation).toMatchObject({ email: member.email, role: 'member' });
    const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    memberInvitationId = invitation.id;

    const pending = await call(h.app, 'GET', `${tenantUrl}/invitations`, { client: owner });
    expect(pending.json().map((i: { id: string }) => i.id)).toContain(memberInvitationId);

    const mail = await waitForMail(h.app, member.email, 'invited you');
    expect(mail.subject).toContain(`Org of ${owner.email}`);
    expect(mail.links).toHaveLength(1);
    expect(mail.links[0]).toMatch(/^http:\/\/localhost:8080\/accept-invitation\?token=[\w-]{43}$/);
    const token = tokenFromLink(mail.links[0] ?? '');

    // Anyone holding the link may see what it is for, without logging in.
    const lookup = await call(h.app, 'POST', '/api/v1/invitations/lookup', { body: { token } });
    expect(lookup.statusCode, lookup.body).toBe(200);
    expect(lookup.json()).toEqual({
      tenantName: `Org of ${owner.email}`,
      email: member.email,
      role: 'member',
      expiresAt: invitation.expiresAt,
    });

    const accepted = await call(h.app, 'POST', '/api/v1/invitations/accept', { client: member, body: { token } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toEqual({ tenantId: owner.tenantId });

    const members = (await call(h.app, 'GET', `${tenantUrl}/members`, { client: member })).json() as { userId: string }[];
    expect(members.find((m) => m.userId === member.userId)).toMatchObject({ email: member.email, role: 'member' });
    expect((await roles())[owner.userId]).toBe('owner');
    const open = (await call(h.app, 'GET', `${tenantUrl}/invitations`, { client: owner })).json() as { id: string }[];
    expect(open.map((i) => i.id)).not.toContain(memberInvitationId);
    const mine = (await call(h.app, 'GET', '/api/v1/tenants', { client: member })).json() as { id: string; role: string }[];
    expect(mine.find((t) => t.id === owner.tenantId)?.role).toBe('member');

    // The link is spent.
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/accept', { client: member, body: { token } }), 400, 'invalid_token');
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/lookup', { body: { token } }), 400, 'invalid_token');
  });

  it('refuses a second pending invitation for the same address, and invitations for members', async () => {
    const email = uniqueEmail('team-dup');
    expect((await invite(owner, email, 'member')).statusCode).toBe(201);
    expectProblem(await invite(owner, email.toUpperCase(), 'admin'), 409, 'invitation_pending');
    expectProblem(await invite(admin, email, 'member'), 409, 'invitation_pending');
    expectProblem(await invite(owner, member.email, 'member'), 409, 'already_member');
    const rows = await h.platform.db.select().from(invitations).where(eq(invitations.tenantId, owner.tenantId));
    expect(rows.filter((r) => r.email.toLowerCase() === email)).toHaveLength(1);
  });

  it('lets only owners and admins invite, and only the owner invite admins', async () => {
    expectProblem(await invite(member, uniqueEmail('team-by-member'), 'member'), 403, 'insufficient_role');
    expectProblem(await invite(admin, uniqueEmail('team-admin-by-admin'), 'admin'), 403, 'insufficient_role');
    expect((await invite(admin, uniqueEmail('team-by-admin'), 'member')).statusCode).toBe(201);
    expect((await call(h.app, 'GET', `${tenantUrl}/invitations`, { client: member })).statusCode).toBe(403);
    expect((await call(h.app, 'GET', `${tenantUrl}/invitations`, { client: admin })).statusCode).toBe(200);
  });

  it('keeps admins to managing members: no new admins, no touching other admins or the owner', async () => {
    expectProblem(await changeRole(admin, member, 'admin'), 403, 'insufficient_role');
    expectProblem(await changeRole(admin, admin2, 'member'), 403, 'insufficient_role');
    expectProblem(await remove(admin, admin2), 403, 'insufficient_role');
    expectProblem(await changeRole(admin, owner, 'member'), 403, 'owner_protected');
    expectProblem(await remove(admin, owner), 403, 'owner_protected');
    expectProblem(await changeRole(admin, member, 'owner'), 400, 'validation_failed');
    expect(await roles()).toMatchObject({ [owner.userId]: 'owner', [admin2.userId]: 'admin', [member.userId]: 'member' });

    // Members themselves are the admin's to manage.
    expect((await changeRole(admin, member, 'member')).statusCode).toBe(204);
    expect((await remove(admin, member2)).statusCode).toBe(204);
    expect((await roles())[member2.userId]).toBeUndefined();
  });

  it('answers a removed member’s next request with 404', async () => {
    for (const url of [tenantUrl, `${tenantUrl}/members`]) {
      expectProblem(await call(h.app, 'GET', url, { client: member2 }), 404, 'not_found');
    }
    expect((await call(h.app, 'GET', '/api/v1/tenants', { client: member2 })).json().map((t: { id: string }) => t.id)).not.toContain(
      owner.tenantId,
    );
  });

  it('keeps members from changing or removing anyone else', async () => {
    expectProblem(await changeRole(member, leaver, 'admin'), 403, 'insufficient_role');
    expectProblem(await remove(member, leaver), 403, 'insufficient_role');
    expect((await roles())[leaver.userId]).toBe('member');
  });

  it('lets the owner change roles and remove admins', async () => {
    expect((await changeRole(owner, member, 'admin')).statusCode).toBe(204);
    expect((await roles())[member.userId]).toBe('admin');
    expect((await changeRole(owner, member, 'member')).statusCode).toBe(204);
    expect((await roles())[member.userId]).toBe('member');
    expect((await remove(owner, admin2)).statusCode).toBe(204);
    expect((await roles())[admin2.userId]).toBeUndefined();
    expectProblem(await call(h.app, 'GET', tenantUrl, { client: admin2 }), 404, 'not_found');
    expectProblem(await remove(owner, admin2), 404, 'not_found');
  });

  it('keeps the owner from leaving, and lets a member leave', async () => {
    expectProblem(await remove(owner, owner), 403, 'owner_protected');
    expect((await remove(leaver, leaver)).statusCode).toBe(204);
    expectProblem(await call(h.app, 'GET', tenantUrl, { client: leaver }), 404, 'not_found');
    expect((await roles())[owner.userId]).toBe('owner');
  });

  it('transfers ownership: the new owner owns, the old one becomes admin, and there is only ever one owner', async () => {
    const transfer = (by: TestUser, userId: string) =>
      call(h.app, 'POST', `${tenantUrl}/transfer-ownership`, { client: by, body: { userId } });
    expectProblem(await transfer(admin, admin.userId), 403, 'insufficient_role');
    expectProblem(await transfer(owner, owner.userId), 400, 'already_owner');
    expectProblem(await transfer(owner, leaver.userId), 404, 'not_found');
    expect((await roles())[owner.userId]).toBe('owner');

    expect((await transfer(owner, admin.userId)).statusCode).toBe(204);
    expect(await roles()).toMatchObject({ [admin.userId]: 'owner', [owner.userId]: 'admin' });
    expect((await call(h.app, 'GET', tenantUrl, { client: admin })).json().role).toBe('owner');
    expectProblem(await transfer(owner, owner.userId), 403, 'insufficient_role');
    expectProblem(await remove(admin, admin), 403, 'owner_protected');

    const owners = await h.platform.db
      .select()
      .from(memberships)
      .where(and(eq(memberships.tenantId, owner.tenantId), eq(memberships.role, 'owner')));
    expect(owners.map((m) => m.userId)).toEqual([admin.userId]);
    // The database itself refuses a second owner, whatever the service does.
    const secondOwner = h.platform.db
      .update(memberships)
      .set({ role: 'owner' })
      .where(and(eq(memberships.tenantId, owner.tenantId), eq(memberships.userId, member.userId)));
    await expect(secondOwner).rejects.toMatchObject({ cause: { code: '23505', constraint: 'memberships_one_owner' } });
    expect((await roles())[member.userId]).toBe('member');
  });

  it('makes a revoked invitation unusable', async () => {
    const invitee = await createUser(h, { label: 'team-revoked' });
    const created = await invite(admin, invitee.email, 'member');
    expect(created.statusCode).toBe(201);
    const token = await invitationToken(invitee.email);
    const revoke = await call(h.app, 'DELETE', `${tenantUrl}/invitations/${created.json().id}`, { client: owner });
    expect(revoke.statusCode, revoke.body).toBe(204);
    expectProblem(await call(h.app, 'DELETE', `${tenantUrl}/invitations/${created.json().id}`, { client: owner }), 404, 'not_found');
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/lookup', { body: { token } }), 400, 'invalid_token');
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/accept', { client: invitee, body: { token } }), 400, 'invalid_token');
    expectProblem(await call(h.app, 'GET', tenantUrl, { client: invitee }), 404, 'not_found');
    // A revoked invitation no longer blocks a new one.
    expect((await invite(admin, invitee.email, 'member')).statusCode).toBe(201);
  });

  it('makes an expired invitation unusable', async () => {
    const invitee = await createUser(h, { label: 'team-expired' });
    const created = await invite(admin, invitee.email, 'member');
    expect(created.statusCode).toBe(201);
    const token = await invitationToken(invitee.email);
    await h.platform.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(invitations.id, created.json().id));
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/lookup', { body: { token } }), 400, 'invalid_token');
    expectProblem(await call(h.app, 'POST', '/api/v1/invitations/accept', { client: invitee, body: { token } }), 400, 'invalid_token');
    expectProblem(await call(h.app, 'GET', tenantUrl, { client: invitee }), 404, 'not_found');
    const row = await h.platform.db.query.invitations.findFirst({ where: eq(invitations.id, created.json().id) });
    expect(row?.acceptedAt).toBeNull();
    // An expired invitation is not pending any more: it is not listed and does not block a new one.
    const pending = await call(h.app, 'GET', `${tenantUrl}/invitations`, { client: admin });
    expect(pending.json().map((i: { id: string }) => i.id)).not.toContain(created.json().id);
    const again = await invite(admin, invitee.email, 'member');
    expect(again.statusCode, again.body).toBe(201);
    let fresh = token;
    await expect.poll(async () => (fresh = await invitationToken(invitee.email)), { timeout: 10_000 }).not.toBe(token);
    expect((await call(h.app, 'POST', '/api/v1/invitations/accept', { client: invitee, body: { token: fresh } })).statusCode).toBe(200);
  });

  it('records each team action in the audit log with tenant, actor, target and result', async () => {
    const rows = await h.platform.db.query.auditLog.findMany({ where: (t, { eq }) => eq(t.tenantId, owner.tenantId) });
    const expected = [
      { action: 'invitation.create', result: 'success', actorId: owner.userId, targetId: memberInvitationId, targetType: 'invitation' },
      { action: 'invitation.accept', result: 'success', actorId: member.userId, targetId: memberInvitationId },
      { action: 'member.change_role', result: 'success', actorId: owner.userId, targetId: member.userId, details: { role: 'admin' } },
      { action: 'member.change_role', result: 'failure', actorId: admin.userId, targetId: member.userId, statusCode: '403' },
      { action: 'member.change_role', result: 'failure', actorId: member.userId, targetId: leaver.userId, statusCode: '403' },
      { action: 'member.remove', result: 'success', actorId: admin.userId, targetId: member2.userId, targetType: 'user' },
      { action: 'member.remove', result: 'success', actorId: owner.userId, targetId: admin2.userId },
      { action: 'member.remove', result: 'success', actorId: leaver.userId, targetId: leaver.userId },
      { action: 'member.remove', result: 'failure', actorId: owner.userId, targetId: owner.userId, statusCode: '403' },
      { action: 'invitation.create', result: 'failure', actorId: member.userId, statusCode: '403' },
      { action: 'tenant.transfer_ownership', result: 'success', actorId: owner.userId, targetId: admin.userId },
      { action: 'invitation.revoke', result: 'success', actorId: owner.userId, targetType: 'invitation' },
    ];
    for (const entry of expected) {
      expect(rows, JSON.stringify(entry)).toContainEqual(expect.objectContaining({ ...entry, tenantId: owner.tenantId }));
    }
    expect(rows.every((r) => r.requestId && r.ip)).toBe(true);

    // The tenant's own audit log shows the same, to its owner and admins only.
    const log = await call(h.app, 'GET', `${tenantUrl}/audit-log?limit=200`, { client: admin });
    expect(log.statusCode).toBe(200);
    expect(log.json().total).toBe(rows.length);
    expect(log.json().items).toContainEqual(
      expect.objectContaining({
        action: 'tenant.transfer_ownership',
        actor: { id: owner.userId, email: owner.email },
        targetId: admin.userId,
        result: 'success',
        statusCode: 204,
      }),
    );
    expectProblem(await call(h.app, 'GET', `${tenantUrl}/audit-log`, { client: { ...member, ip: fakeIp() } }), 403, 'insufficient_role');
  });
});
