import { randomUUID } from 'node:crypto';
import { and, eq, ilike, inArray, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { sessions, users } from '../../src/auth/auth.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { invitations, memberships, tenants } from '../../src/tenants/tenants.tables.js';
import { type Client, call, createUser, fakeIp, type Harness, STRONG_PASSWORD, startHarness, type TestUser } from '../harness.js';

/**
 * Malformed, oversized, mistyped and hostile input to the write endpoints: each gets a precise
 * problem answer, and none of it reaches the database.
 */

let h: Harness;
let user: TestUser;
let admin: TestUser;
/** Every value the bad requests would have written carries this, so leftovers can be counted. */
const marker = `bad${randomUUID().slice(0, 8)}`;
const requestIds: string[] = [];

interface Target {
  name: string;
  method: 'POST' | 'PATCH';
  url: () => string;
  client: () => Client;
  valid: () => Record<string, unknown>;
  /** Bad bodies and the fields each must name. */
  wrong: () => [unknown, string[]][];
}

const long = (n: number) => 'x'.repeat(n);
const targets: Target[] = [
  {
    name: 'signup',
    method: 'POST',
    url: () => '/api/v1/auth/signup',
    client: () => ({ ip: fakeIp() }),
    valid: () => ({ email: `${marker}@example.com`, password: STRONG_PASSWORD, name: marker, organization: marker }),
    wrong: () => {
      const all = ['email', 'name', 'organization', 'password'];
      return [
        [{ email: 42, password: ['pw'], name: { first: 'A' }, organization: true }, all],
        [{}, all],
        [{ email: `${long(250)}${marker}@example.com`, password: long(257), name: long(121), organization: long(121) }, all],
        [{ email: `not-an-email-${marker}`, password: '', name: '   ', organization: '' }, all],
        [{ email: `${marker}@example.com`, password: STRONG_PASSWORD, name: marker }, ['organization']],
      ];
    },
  },
  {
    name: 'login',
    method: 'POST',
    url: () => '/api/v1/auth/login',
    client: () => ({ ip: fakeIp() }),
    valid: () => ({ email: user.email, password: STRONG_PASSWORD }),
    wrong: () => [
      [{ email: 42, password: 42 }, ['email', 'password']],
      [{}, ['email', 'password']],
      [{ email: user.email, password: long(257), totpCode: long(11), recoveryCode: long(41) }, ['password', 'recoveryCode', 'totpCode']],
    ],
  },
  {
    name: 'tenant create',
    method: 'POST',
    url: () => '/api/v1/tenants',
    client: () => user,
    valid: () => ({ name: marker }),
    wrong: () => [
      [{ name: 42 }, ['name']],
      [{}, ['name']],
      [{ name: `${marker}${long(121)}` }, ['name']],
      [{ name: '    ' }, ['name']],
    ],
  },
  {
    name: 'invite',
    method: 'POST',
    url: () => `/api/v1/tenants/${user.tenantId}/invitations`,
    client: () => user,
    valid: () => ({ email: `${marker}-invitee@example.com`, role: 'member' }),
    wrong: () => [
      [{ email: 42, role: 'owner' }, ['email', 'role']],
      [{}, ['email', 'role']],
      [{ email: `${long(300)}${marker}@example.com`, role: long(100_000) }, ['email', 'role']],
      [{ email: `${marker}-invitee@example.com`, role: 'owner' }, ['role']],
    ],
  },
  {
    name: 'profile update',
    method: 'PATCH',
    url: () => '/api/v1/me',
    client: () => user,
    valid: () => ({ name: marker }),
    wrong: () => [
      [{ name: 42 }, ['name']],
      [{}, ['name']],
      [{ name: `${marker}${long(200)}` }, ['name']],
    ],
  },
];

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, type: `https://docs.odoo-saas.local/problems/${code}` });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body as { errors?: { field: string; code: string }[] };
}

async function send(target: Target, init: { payload?: string; body?: unknown; contentType?: string }) {
  const res = await call(h.app, target.method, target.url(), {
    client: target.client(),
    ...(init.payload !== undefined ? { payload: init.payload } : { body: init.body }),
    ...(init.contentType ? { headers: { 'content-type': init.contentType } } : {}),
  });
  requestIds.push(String(res.headers['x-request-id']));
  return res;
}

const sessionCount = (userId: string) =>
  h.platform.db
    .select({ n: sql<number>`count(*)::int` })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .then((rows) => rows[0]?.n);
let sessionsBefore: number | undefined;

beforeAll(async () => {
  h = await startHarness();
  [user, admin] = await Promise.all([createUser(h, { label: 'bad-input' }), createUser(h, { label: 'bad-admin' })]);
  await new UsersRepository(h.platform.db).update(admin.userId, { platformRole: 'admin' });
  sessionsBefore = await sessionCount(user.userId);
});
afterAll(async () => {
  await h.close();
});

describe.each(targets)('$name', (target) => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const json = JSON.stringify(target.valid());
    expectProblem(await send(target, { payload: json.slice(0, -3), contentType: 'application/json' }), 400, 'invalid_json');
    expectProblem(await send(target, { payload: `${json}}`, contentType: 'application/json' }), 400, 'invalid_json');
    expectProblem(await send(target, { payload: '', contentType: 'application/json' }), 400, 'invalid_json');
  });

  it('answers a body over the limit with 413 payload_too_large', async () => {
    const payload = JSON.stringify({ ...target.valid(), padding: long(h.platform.config.bodyLimitBytes) });
    expect(h.platform.config.bodyLimitBytes).toBe(1_048_576);
    expectProblem(await send(target, { payload, contentType: 'application/json' }), 413, 'payload_too_large');
  });

  it('answers other content types with 415', async () => {
    const json = JSON.stringify(target.valid());
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      expectProblem(await send(target, { payload: json, contentType }), 415, 'unsupported_media_type');
    }
  });

  it('answers wrong shapes with 400 validation_failed naming each bad field', async () => {
    for (const body of [[], [target.valid()], 'a string', 42, null]) {
      const problem = expectProblem(
        await send(target, { payload: JSON.stringify(body), contentType: 'application/json' }),
        400,
        'validation_failed',
      );
      expect(problem.errors?.map((e) => e.field)).toEqual(['body']);
    }
    for (const [body, fields] of target.wrong()) {
      const problem = expectProblem(await send(target, { body }), 400, 'validation_failed');
      const named = [...new Set(problem.errors?.map((e) => e.field))].sort();
      expect(named, JSON.stringify(body).slice(0, 200)).toEqual(fields);
    }
  });

  it('refuses NUL characters, which PostgreSQL text cannot hold, as a validation error', async () => {
    const valid = target.valid();
    const [field] = Object.keys(valid).filter((k) => k !== 'password' && k !== 'role');
    const problem = expectProblem(await send(target, { body: { ...valid, [field ?? '']: `a\u0000b${marker}` } }), 400, 'validation_failed');
    expect(problem.errors).toContainEqual(expect.objectContaining({ field, code: 'nul_character' }));
  });
});

describe('after all of that', () => {
  it('nothing was written: no users, tenants, invitations, sessions, profile changes or successful audit rows', async () => {
    const count = (rows: Promise<{ n: number }[]>) => rows.then((r) => r[0]?.n);
    const n = sql<number>`count(*)::int`;
    expect(
      await count(
        h.platform.db
          .select({ n })
          .from(users)
          .where(ilike(users.email, `%${marker}%`)),
      ),
    ).toBe(0);
    expect(
      await count(
        h.platform.db
          .select({ n })
          .from(users)
          .where(ilike(users.name, `%${marker}%`)),
      ),
    ).toBe(0);
    expect(
      await count(
        h.platform.db
          .select({ n })
          .from(tenants)
          .where(ilike(tenants.name, `%${marker}%`)),
      ),
    ).toBe(0);
    expect(await count(h.platform.db.select({ n }).from(memberships).where(eq(memberships.userId, user.userId)))).toBe(1);
    expect(await count(h.platform.db.select({ n }).from(invitations).where(eq(invitations.tenantId, user.tenantId)))).toBe(0);
    expect(await sessionCount(user.userId)).toBe(sessionsBefore);
    expect((await call(h.app, 'GET', '/api/v1/me', { client: user })).json().user.name).toBe('Test User');

    // Every refused write is on record as a failure, none as a success.
    expect(requestIds.length).toBeGreaterThan(50);
    const rows = await h.platform.db
      .select({ result: auditLog.result, n })
      .from(auditLog)
      .where(inArray(auditLog.requestId, requestIds))
      .groupBy(auditLog.result);
    expect(rows).toEqual([{ result: 'failure', n: requestIds.length }]);

    // The valid bodies used above are in fact accepted: the failures came from the damage alone.
    for (const target of targets) {
      const res = await call(h.app, target.method, target.url(), { client: target.client(), body: target.valid() });
      expect(res.statusCode, `${target.name}: ${res.body}`).toBeLessThan(300);
    }
  });
});

describe('routes and path parameters', () => {
  it('answers unknown routes with a JSON problem, not HTML', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nope'],
      ['POST', '/api/v1/tenants/x/unknown'],
      ['PUT', '/api/v1/me'],
      ['GET', '/nope.html'],
    ] as const) {
      const res = await call(h.app, method, url, { client: user });
      expectProblem(res, 404, 'route_not_found');
      expect(res.body).not.toMatch(/<html/i);
    }
  });

  it('answers a malformed id in a tenant path with 404, and elsewhere with 400 naming the parameter', async () => {
    for (const id of ['not-a-uuid', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g']) {
      expectProblem(await call(h.app, 'GET', `/api/v1/tenants/${encodeURIComponent(id)}`, { client: user }), 404, 'not_found');
      expectProblem(await call(h.app, 'GET', `/api/v1/tenants/${encodeURIComponent(id)}/members`, { client: user }), 404, 'not_found');
    }
    const cases: ['PATCH' | 'DELETE', string, string, unknown?][] = [
      ['PATCH', `/api/v1/tenants/${user.tenantId}/members/not-a-uuid`, 'params.userId', { role: 'member' }],
      ['DELETE', `/api/v1/tenants/${user.tenantId}/members/123`, 'params.userId'],
      ['DELETE', `/api/v1/tenants/${user.tenantId}/invitations/not-a-uuid`, 'params.invitationId'],
      ['DELETE', '/api/v1/me/sessions/not-a-uuid', 'params.sessionId'],
    ];
    for (const [method, url, field, body] of cases) {
      const problem = expectProblem(await call(h.app, method, url, { client: user, ...(body ? { body } : {}) }), 400, 'validation_failed');
      expect(problem.errors?.map((e) => e.field)).toEqual([field]);
    }
    const adminCase = await call(h.app, 'PATCH', '/api/v1/admin/users/not-a-uuid', { client: admin, body: { disabled: true } });
    expect(expectProblem(adminCase, 400, 'validation_failed').errors?.map((e) => e.field)).toEqual(['params.userId']);
    // Access is checked before validation: a normal user learns nothing about the parameter.
    expectProblem(
      await call(h.app, 'PATCH', '/api/v1/admin/users/not-a-uuid', { client: user, body: { disabled: true } }),
      403,
      'forbidden',
    );
  });
});

describe('hostile strings', () => {
  it('stores and returns SQL-looking names and addresses verbatim', async () => {
    const tag = randomUUID().slice(0, 8);
    const organization = `Robert'); DROP TABLE tenants;-- ${tag}`;
    const name = `Ada'; DELETE FROM users WHERE ''=' ${tag}`;
    const email = `robert'--${tag}@example.com`;
    const ip = fakeIp();
    const signup = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip },
      body: { email, password: STRONG_PASSWORD, name, organization },
    });
    expect(signup.statusCode, signup.body).toBe(202);

    const login = await call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password: STRONG_PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);
    const client = { ip, token: login.json().accessToken as string };
    const me = (await call(h.app, 'GET', '/api/v1/me', { client })).json();
    expect(me.user).toMatchObject({ email, name });
    expect(me.tenants).toEqual([{ id: expect.any(String), name: organization, role: 'owner' }]);
    const tenantId = me.tenants[0].id as string;

    const second = `x' OR '1'='1'; -- $1 \${name} %_\\ ${tag}`;
    const created = await call(h.app, 'POST', '/api/v1/tenants', { client, body: { name: second } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().name).toBe(second);
    const listed = (await call(h.app, 'GET', '/api/v1/tenants', { client })).json() as { name: string }[];
    expect(listed.map((t) => t.name)).toEqual([organization, second]);

    const profile = `<script>alert("x")</script> \\' ${tag}`;
    const patched = await call(h.app, 'PATCH', '/api/v1/me', { client, body: { name: profile } });
    expect(patched.json().name).toBe(profile);

    const invitee = `o'brien-${tag}@example.com`;
    const invite = await call(h.app, 'POST', `/api/v1/tenants/${created.json().id}/invitations`, {
      client,
      body: { email: invitee, role: 'member' },
    });
    expect(invite.statusCode, invite.body).toBe(201);
    expect(invite.json().email).toBe(invitee);

    // The tables are all still there, with the rows as written.
    const row = await h.platform.db.query.tenants.findFirst({ where: eq(tenants.id, tenantId) });
    expect(row?.name).toBe(organization);
    const [{ n } = { n: 0 }] = await h.platform.db.select({ n: sql<number>`count(*)::int` }).from(tenants);
    expect(n).toBeGreaterThan(1);
  });

  it('treats LIKE wildcards in admin searches literally', async () => {
    const tag = randomUUID().slice(0, 8);
    const percent = await createUser(h, { label: 'pct', verify: false });
    await new UsersRepository(h.platform.db).update(percent.userId, { name: `100%_${tag}` });
    const search = async (q: string) => {
      const res = await call(h.app, 'GET', `/api/v1/admin/users?limit=200&q=${encodeURIComponent(q)}`, { client: admin });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as { id: string; name: string; email: string }[];
    };
    for (const q of ['%', '%_', `%_${tag}`]) {
      const found = await search(q);
      expect(found.map((u) => u.id)).toContain(percent.userId);
      expect(found.every((u) => u.name.includes(q) || u.email.includes(q))).toBe(true);
    }
    expect(await search(`_${tag}x`)).toEqual([]);
    const nul = await call(h.app, 'GET', `/api/v1/admin/users?q=${encodeURIComponent('a\u0000b')}`, { client: admin });
    expect(expectProblem(nul, 400, 'validation_failed').errors?.map((e) => e.field)).toEqual(['querystring.q']);
  });

  it('refuses prototype-polluting JSON', async () => {
    for (const payload of [
      '{"name":"proto","__proto__":{"platformRole":"admin"}}',
      '{"name":"proto","constructor":{"prototype":{"platformRole":"admin"}}}',
    ]) {
      const res = await call(h.app, 'PATCH', '/api/v1/me', { client: user, payload, headers: { 'content-type': 'application/json' } });
      expectProblem(res, 400, 'invalid_json');
    }
    expect(({} as Record<string, unknown>).platformRole).toBeUndefined();
    const me = (await call(h.app, 'GET', '/api/v1/me', { client: user })).json().user;
    expect(me.name).not.toBe('proto');
    expect(me.platformRole).toBeNull();
  });

  it('ignores fields a caller may not set (no mass assignment)', async () => {
    const tag = randomUUID().slice(0, 8);
    const email = `mass-${tag}@example.com`;
    const forgedId = randomUUID();
    const signup = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip: fakeIp() },
      body: {
        email,
        password: STRONG_PASSWORD,
        name: 'Mass',
        organization: 'Mass',
        id: forgedId,
        platformRole: 'admin',
        emailVerified: true,
      },
    });
    expect(signup.statusCode, signup.body).toBe(202);
    const created = await new UsersRepository(h.platform.db).findByEmail(email);
    expect(created).toMatchObject({ platformRole: null, emailVerifiedAt: null });
    expect(created?.id).not.toBe(forgedId);

    const patched = await call(h.app, 'PATCH', '/api/v1/me', {
      client: user,
      body: { name: 'Test User', email: `taken-${tag}@example.com`, platformRole: 'admin', totpEnabled: true },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ email: user.email, platformRole: null, totpEnabled: false });

    const otherTenant = (await call(h.app, 'POST', '/api/v1/tenants', { client: admin, body: { name: `other-${tag}` } })).json()
      .id as string;
    const invite = await call(h.app, 'POST', `/api/v1/tenants/${user.tenantId}/invitations`, {
      client: user,
      body: { email: `mass-invitee-${tag}@example.com`, role: 'member', tenantId: otherTenant },
    });
    expect(invite.statusCode).toBe(201);
    const stored = await h.platform.db.query.invitations.findFirst({ where: and(eq(invitations.id, invite.json().id)) });
    expect(stored?.tenantId).toBe(user.tenantId);
  });
});
