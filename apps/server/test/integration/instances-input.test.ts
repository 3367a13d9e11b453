import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instances } from '../../src/instances/instances.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { uniqueSlug } from '../support/instances.js';

let h: Harness;
let owner: TestUser;
let unverified: TestUser;

// No worker: nothing is provisioned; these tests are about what the API accepts and writes.
const verifiedUser = (label: string) => createUser(h, { label, verify: 'direct' });

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  owner = await verifiedUser('input');
  unverified = await createUser(h, { label: 'unverified', verify: false });
}, 60_000);
afterAll(async () => {
  await h.close();
});

// Counted in the tenant the requests name: other test files create instances of their own in parallel.
const instanceCount = () =>
  h.platform.db
    .select({ n: count() })
    .from(instances)
    .where(eq(instances.tenantId, owner.tenantId))
    .then((r) => r[0]?.n ?? 0);

describe('bad instance requests create nothing', () => {
  const cases: [string, Record<string, unknown> | unknown[], number, string, string?][] = [
    ['invalid slug characters', { name: 'Shop', slug: 'Bad_Slug!' }, 400, 'validation_failed', 'slug'],
    ['slug too short', { name: 'Shop', slug: 'ab' }, 400, 'validation_failed', 'slug'],
    ['slug with a leading hyphen', { name: 'Shop', slug: '-shop' }, 400, 'validation_failed', 'slug'],
    ['double hyphen', { name: 'Shop', slug: 'my--shop' }, 400, 'validation_failed', 'slug'],
    ['reserved slug', { name: 'Shop', slug: 'admin' }, 400, 'validation_failed', 'slug'],
    ['another reserved slug', { name: 'Shop', slug: 'www' }, 400, 'validation_failed', 'slug'],
    ['unknown version', { name: 'Shop', slug: 'fine-name-1', version: '9.0' }, 400, 'validation_failed', 'version'],
    ['wrong types', { name: 42, slug: ['x'] }, 400, 'validation_failed', 'name'],
    ['missing name', { slug: 'fine-name-2' }, 400, 'validation_failed', 'name'],
    ['array body', [], 400, 'validation_failed'],
    ['shell and SQL in the slug', { name: 'Shop', slug: 'x;rm -rf /' }, 400, 'validation_failed', 'slug'],
  ];
  for (const [label, body, status, code, field] of cases) {
    it(`refuses: ${label}`, async () => {
      const before = await instanceCount();
      const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, { client: owner, body });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe(code);
      if (field)
        expect(
          res
            .json()
            .errors.map((e: { field: string }) => e.field)
            .join(','),
        ).toContain(field);
      expect(await instanceCount()).toBe(before);
    });
  }

  it('refuses a taken slug with 409, case-insensitively', async () => {
    const slug = uniqueSlug('taken');
    const first = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, { client: owner, body: { name: 'A', slug } });
    expect(first.statusCode, first.body).toBe(202);
    const before = await instanceCount();
    const again = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
      client: owner,
      body: { name: 'B', slug: slug.toUpperCase() },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('slug_taken');
    expect(await instanceCount()).toBe(before);
    const availability = await call(h.app, 'GET', `/api/v1/instances/slug-availability?slug=${slug}`, { client: owner });
    expect(availability.json()).toMatchObject({ available: false, code: 'slug_taken' });
    expect((await call(h.app, 'GET', '/api/v1/instances/slug-availability?slug=admin', { client: owner })).json()).toMatchObject({
      available: false,
      code: 'reserved_slug',
    });
    expect(
      (await call(h.app, 'GET', `/api/v1/instances/slug-availability?slug=${uniqueSlug('free')}`, { client: owner })).json(),
    ).toMatchObject({ available: true });
  });

  it('refuses over quota, even for parallel requests', async () => {
    await h.platform.db.execute(
      sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers) values ('quota-2', 'Two', 2, 512, 500, 256, 1, 0) on conflict do nothing`,
    );
    const user = await verifiedUser('quota');
    await h.platform.db.execute(sql`update tenants set plan_code = 'quota-2' where id = ${user.tenantId}`);
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        call(h.app, 'POST', `/api/v1/tenants/${user.tenantId}/instances`, { client: user, body: { name: 'Q', slug: uniqueSlug('quota') } }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([202, 202, 403, 403]);
    expect(results.filter((r) => r.statusCode === 403).every((r) => r.json().code === 'quota_exceeded')).toBe(true);
    const listed = await call(h.app, 'GET', `/api/v1/tenants/${user.tenantId}/instances`, { client: user });
    expect(listed.json()).toHaveLength(2);
  });

  it('refuses an unverified account', async () => {
    const res = await call(h.app, 'POST', `/api/v1/tenants/${unverified.tenantId}/instances`, {
      client: unverified,
      body: { name: 'U', slug: uniqueSlug('unv') },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('email_not_verified');
  });

  it('lists the offered versions', async () => {
    const res = await call(h.app, 'GET', `/api/v1/odoo-versions`, { client: owner });
    expect(res.json().map((v: { version: string }) => v.version)).toEqual(expect.arrayContaining(['18.0', '17.0']));
  });
});
