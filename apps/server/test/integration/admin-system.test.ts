import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../src/audit/audit.repo.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { CertificatesRepository } from '../../src/certificates/certificates.repo.js';
import { DomainsRepository } from '../../src/domains/domains.repo.js';
import { routeState } from '../../src/instances/instance-context.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { EdgeRoutesService } from '../../src/system/edge-routes.service.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';

/**
 * The System page's data against the real PostgreSQL: the edge's routes (states as the edge computes
 * them, certificates, paging and filters), the settings, and the audit log's filters and sort.
 */

let h: Harness;
let admin: TestUser;
let support: TestUser;
let tenant: TestUser;
const label = `es${randomUUID().slice(0, 6)}`;
/** Slug → the instance row, in each state the edge knows. */
const rows: Record<string, Awaited<ReturnType<typeof insertInstanceRow>>> = {};

type EdgeRoutePage = {
  items: { host: string; kind: string; state: string; instance: { id: string }; certificate: { status: string } }[];
  total: number;
};

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  [admin, support, tenant] = await Promise.all([
    createUser(h, { label: 'sys-admin', verify: 'direct' }),
    createUser(h, { label: 'sys-support', verify: 'direct' }),
    createUser(h, { label: 'sys-tenant', verify: 'direct' }),
  ]);
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
  const instances = new InstancesRepository(h.platform.db);
  const states = {
    running: { status: 'running', suspended: false },
    stopped: { status: 'stopped', suspended: false },
    failed: { status: 'failed', suspended: false },
    suspended: { status: 'running', suspended: true },
    pending: { status: 'pending', suspended: false },
    deleted: { status: 'deleted', suspended: false },
  } as const;
  for (const [name, change] of Object.entries(states)) {
    const row = await insertInstanceRow(h, tenant.tenantId, 'running');
    const updated = await instances.update(row.id, { ...change, slug: `${label}-${name}` });
    if (!updated) throw new Error('fixture instance vanished');
    rows[name] = updated;
  }
  const domains = new DomainsRepository(h.platform.db);
  const base = { tenantId: tenant.tenantId, verificationToken: randomUUID() };
  await domains.insert({ ...base, instanceId: rows.running?.id ?? '', domain: `shop.${label}.example`, status: 'active' });
  await domains.insert({ ...base, instanceId: rows.running?.id ?? '', domain: `pending.${label}.example`, status: 'pending_dns' });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const edgeRoutes = async (query: string, client: TestUser = admin) => {
  const res = await call(h.app, 'GET', `/api/v1/admin/system/edge-routes?${query}`, { client });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as EdgeRoutePage;
};

describe('GET /admin/system/edge-routes', () => {
  it('lists every routed host with the state the edge serves, never a deleted instance or an inactive domain', async () => {
    const page = await edgeRoutes(`q=${label}`, support);
    const domain = h.platform.config.instanceDomain;
    expect(page.items.map((r) => [r.host, r.kind, r.state])).toEqual([
      [`${label}-failed.${domain}`, 'subdomain', 'failed'],
      [`${label}-pending.${domain}`, 'subdomain', 'provisioning'],
      [`${label}-running.${domain}`, 'subdomain', 'active'],
      [`${label}-stopped.${domain}`, 'subdomain', 'stopped'],
      [`${label}-suspended.${domain}`, 'subdomain', 'suspended'],
      [`shop.${label}.example`, 'custom_domain', 'active'],
    ]);
    expect(page.total).toBe(6);
    // The SQL state is the edge's own (routeState) for each instance.
    for (const row of page.items) {
      const instance = Object.values(rows).find((r) => r.id === row.instance.id);
      expect(instance && routeState(instance)).toBe(row.state);
    }
    // Local mode serves plain HTTP: no certificate in use.
    expect(new Set(page.items.map((r) => r.certificate.status))).toEqual(new Set(['not_used']));
  });

  it('filters by state and pages on the server', async () => {
    const active = await edgeRoutes(`q=${label}&state=active`);
    expect(active.items.map((r) => r.host)).toEqual([`${label}-running.${h.platform.config.instanceDomain}`, `shop.${label}.example`]);
    const second = await edgeRoutes(`q=${label}&limit=2&offset=2`);
    expect(second.total).toBe(6);
    expect(second.items.map((r) => r.state)).toEqual(['active', 'stopped']);
    // LIKE wildcards in the search are plain characters.
    expect((await edgeRoutes(`q=${encodeURIComponent(`${label}%_`)}`)).total).toBe(0);
  });

  it('tells each host’s certificate in TLS mode: its own, the instances’ wildcard, or none', async () => {
    // The same service with TLS on and an instances' domain of this test's own (certificate names are global).
    // Not containing the label: the search matches host names, and every instance of the shared database has one there.
    const instanceDomain = `cloud-${randomUUID().slice(0, 8)}.example`;
    const service = new EdgeRoutesService(h.platform.db, { instanceDomain, edge: { ...h.platform.config.edge, tls: true } });
    const certs = new CertificatesRepository(h.platform.db);
    const issued = (name: string, days: number) => ({
      name,
      domains: [name],
      serial: randomUUID(),
      issuer: 'test CA',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + days * 86_400_000),
      ocsp: false,
      certFile: '/nonexistent',
      keyFile: '/nonexistent',
    });
    const before = await service.list({ q: label, limit: 50, offset: 0 });
    expect(new Set(before.items.map((r) => r.certificate.status))).toEqual(new Set(['missing']));
    await certs.saveIssued(issued(`_wildcard.${instanceDomain}`, 60), { kind: 'platform' });
    await certs.saveIssued(issued(`shop.${label}.example`, 3), { kind: 'custom_domain' });
    try {
      const after = await service.list({ q: label, limit: 50, offset: 0 });
      const byKind = after.items.map((r) => [r.kind, r.certificate.status]);
      expect(byKind).toContainEqual(['subdomain', 'valid']);
      expect(byKind).toContainEqual(['custom_domain', 'expiring']);
      expect(byKind.filter(([, s]) => s === 'missing')).toEqual([]);
    } finally {
      await certs.remove(`_wildcard.${instanceDomain}`);
      await certs.remove(`shop.${label}.example`);
    }
  });

  it('is refused to a tenant user', async () => {
    const res = await call(h.app, 'GET', '/api/v1/admin/system/edge-routes', { client: tenant });
    expect(res.statusCode).toBe(403);
  });
});

describe('GET /admin/system/settings', () => {
  it('shows support the effective settings without any secret, and refuses a tenant user', async () => {
    const res = await call(h.app, 'GET', '/api/v1/admin/system/settings', { client: support });
    expect(res.statusCode, res.body).toBe(200);
    const { config } = h.platform;
    expect(res.json()).toMatchObject({ domains: { instanceDomain: config.instanceDomain }, billing: { provider: 'manual' } });
    expect(res.body).not.toContain(config.jwtSecret);
    expect(res.body).not.toContain(config.encryptionKey.toString('base64'));
    expect(res.body).not.toContain(config.databaseUrl);
    expect((await call(h.app, 'GET', '/api/v1/admin/system/settings', { client: tenant })).statusCode).toBe(403);
  });
});

describe('GET /admin/audit-log', () => {
  const action = `test.${label}`;
  beforeAll(async () => {
    const audit = new AuditRepository(h.platform.db);
    const entry = { tenantId: tenant.tenantId, targetType: null, targetId: null, ip: null, requestId: null, actorId: null };
    await audit.record({ ...entry, action, actorEmail: `ada-${label}@example.com`, result: 'success' });
    await audit.record({ ...entry, action, actorEmail: `bob-${label}@example.com`, result: 'failure' });
    await audit.record({ ...entry, action, actorEmail: `ada-${label}@example.com`, result: 'failure' });
  });
  const log = async (query: string) => {
    const res = await call(h.app, 'GET', `/api/v1/admin/audit-log?action=${action}&${query}`, { client: support });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: { id: number; actor: { email: string }; result: string }[]; total: number };
  };

  it('filters by actor email, result and dates, sorts both ways and pages', async () => {
    const newest = await log('');
    expect(newest.total).toBe(3);
    const oldest = await log('sort=oldest');
    expect(oldest.items.map((e) => e.id)).toEqual(newest.items.map((e) => e.id).reverse());
    expect((await log(`actorEmail=ADA-${label}`)).total).toBe(2);
    expect((await log(`actorEmail=ada-${label}&result=failure`)).items.map((e) => e.actor.email)).toEqual([`ada-${label}@example.com`]);
    const today = new Date().toISOString().slice(0, 10);
    // A day is whole: `to` the same day still includes today's entries.
    expect((await log(`from=${today}&to=${today}`)).total).toBe(3);
    expect((await log(`to=${today}T00:00:00Z`)).total).toBe(0);
    const paged = await log('limit=1&offset=1');
    expect([paged.total, paged.items[0]?.id]).toEqual([3, newest.items[1]?.id]);
  });

  it('rejects a date that is not one', async () => {
    const res = await call(h.app, 'GET', '/api/v1/admin/audit-log?from=yesterday', { client: support });
    expect(res.statusCode).toBe(400);
  });
});
