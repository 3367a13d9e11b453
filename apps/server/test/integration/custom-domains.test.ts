import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { auditLog } from '../../src/audit/audit.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { renewCertificates } from '../../src/certificates/certificate-renewal.job.js';
import { certificates } from '../../src/certificates/certificates.tables.js';
import type { customDomainSchema } from '../../src/domains/domains.schemas.js';
import { customDomains } from '../../src/domains/domains.tables.js';
import { edgePaths } from '../../src/edge/edge-paths.js';
import { call, createUser, type Harness, type TestUser } from '../harness.js';
import { type DomainsStack, startDomainsStack } from '../support/domains-stack.js';
import { createInstance, type InstanceDto, insertInstanceRow, waitForStatus } from '../support/instances.js';
import { type PlatformEdge, request, requestTls } from '../support/nginx.js';
import type { Pebble } from '../support/pebble.js';

/**
 * Custom domains end to end in TLS mode: the platform's real edge (a private nginx), pebble as the
 * CA and challtestsrv as DNS (every name resolves to 127.0.0.1 unless told otherwise), a real
 * instance (the Odoo stand-in) behind it.
 */

type DomainDto = z.infer<typeof customDomainSchema>;

let stack: DomainsStack;
let edge: PlatformEdge;
let pebble: Pebble;
let h: Harness;
let owner: TestUser;
let outsider: TestUser;
let staff: TestUser;
let instance: InstanceDto;
const suffix = `${Date.now().toString(36)}${process.pid % 1000}`;
const DOMAIN = `erp-${suffix}.customer-test.example`;

const domainsUrl = (instanceId: string) => `/api/v1/instances/${instanceId}/domains`;

async function waitForDomain(client: TestUser, instanceId: string, id: string, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: DomainDto | undefined;
  while (Date.now() < deadline) {
    const res = await call(h.app, 'GET', `${domainsUrl(instanceId)}/${id}`, { client });
    expect(res.statusCode, res.body).toBe(200);
    last = res.json() as DomainDto;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`domain ${id} did not reach ${statuses.join('/')}; last: ${JSON.stringify(last)}`);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  stack = await startDomainsStack({ PUBLIC_IPV4: '203.0.113.10' });
  ({ edge, pebble, h } = stack);
  [owner, outsider, staff] = await Promise.all([
    createUser(h, { label: 'domains' }),
    createUser(h, { label: 'domains-outsider' }),
    createUser(h, { label: 'domains-staff' }),
  ]);
  await new UsersRepository(h.platform.db).update(staff.userId, { platformRole: 'admin' });
  const created = await createInstance(h, owner, { version: '18.0' });
  instance = await waitForStatus(h, owner, created.id, ['running', 'failed']);
  expect(instance.status, instance.lastError ?? '').toBe('running');
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('custom domains (TLS mode, pebble)', () => {
  let domain: DomainDto;
  let firstSerial: string;

  it('adds a domain and tells which DNS record to create', async () => {
    const res = await call(h.app, 'POST', domainsUrl(instance.id), { client: owner, body: { domain: ` ${DOMAIN.toUpperCase()}. ` } });
    expect(res.statusCode, res.body).toBe(201);
    domain = res.json() as DomainDto;
    expect(domain.domain).toBe(DOMAIN);
    expect(domain.status).toBe('pending_dns');
    expect(domain.dnsRecords).toEqual([
      expect.objectContaining({ type: 'CNAME', name: DOMAIN, value: `${instance.slug}.localhost` }),
      expect.objectContaining({ type: 'A', name: DOMAIN, value: '203.0.113.10' }),
    ]);
    expect(domain.verification.url).toBe(`http://${DOMAIN}:${edge.httpPort}/.well-known/odoo-saas/${domain.verification.token}`);
    const listed = await call(h.app, 'GET', domainsUrl(instance.id), { client: owner });
    expect((listed.json() as DomainDto[]).map((d) => d.domain)).toEqual([DOMAIN]);
    // Not routed before it is verified.
    expect((await request(edge.httpPort, DOMAIN, '/web/login')).status).toBe(404);
  });

  it('verifies the domain through the edge, obtains its certificate and serves the instance over HTTPS with it', async () => {
    const res = await call(h.app, 'POST', `${domainsUrl(instance.id)}/${domain.id}/verify`, { client: owner });
    expect(res.statusCode, res.body).toBe(202);
    expect((res.json() as DomainDto).status).toBe('verifying');
    const active = await waitForDomain(owner, instance.id, domain.id, ['active', 'failed']);
    expect(active.status, active.lastError ?? '').toBe('active');
    expect(active.lastError).toBeNull();
    expect(active.certificateExpiresAt).not.toBeNull();
    // The edge no longer serves the token once checked.
    expect((await request(edge.httpPort, DOMAIN, `/.well-known/odoo-saas/${domain.verification.token}`)).status).toBe(404);

    const [cert] = await h.platform.db.select().from(certificates).where(eq(certificates.name, DOMAIN));
    expect(cert?.kind).toBe('custom_domain');
    expect(cert?.domainId).toBe(domain.id);
    firstSerial = cert?.serial ?? '';

    const root = await pebble.issuingRoot();
    const page = await requestTls(edge.httpsPort ?? 0, DOMAIN, '/web/login', root);
    expect(page.status).toBe(200);
    expect(page.body).toContain('stand-in');
    expect(page.serial).toBe(firstSerial);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    // Plain HTTP now redirects to HTTPS; the subdomain (no certificate) still answers over HTTP.
    const redirect = await request(edge.httpPort, DOMAIN, '/web/login');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${DOMAIN}:${edge.httpsPort}/web/login`);
    expect((await request(edge.httpPort, `${instance.slug}.localhost`, '/web/login')).status).toBe(200);
    // Refused at the edge on the custom domain too.
    expect((await requestTls(edge.httpsPort ?? 0, DOMAIN, '/web/database/manager', root)).status).toBe(404);
  });

  it('lists certificates for platform admins, soonest expiry first, and renews those near expiry', async () => {
    const list = async () => {
      const res = await call(h.app, 'GET', '/api/v1/admin/certificates', { client: staff });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { name: string; nearExpiry: boolean; serial: string; daysLeft: number; status: string }[];
    };
    expect((await list()).find((c) => c.name === DOMAIN)).toMatchObject({ nearExpiry: false, status: 'valid' });
    expect((await call(h.app, 'GET', '/api/v1/admin/certificates', { client: owner })).statusCode).toBe(403);

    // Five days left: due for renewal.
    await h.platform.db
      .update(certificates)
      .set({ notAfter: new Date(Date.now() + 5 * 86_400_000) })
      .where(eq(certificates.name, DOMAIN));
    const listed = await list();
    expect(listed[0]?.name).toBe(DOMAIN);
    expect(listed[0]).toMatchObject({ nearExpiry: true, daysLeft: 4 });

    const result = await renewCertificates(stack.edgeDeps());
    expect(result.failed).toEqual([]);
    expect(result.renewed).toContain(DOMAIN);
    const renewed = (await list()).find((c) => c.name === DOMAIN);
    expect(renewed?.nearExpiry).toBe(false);
    expect(renewed?.serial).not.toBe(firstSerial);
    const page = await requestTls(edge.httpsPort ?? 0, DOMAIN, '/web/login', await pebble.issuingRoot());
    expect(page.status).toBe(200);
    expect(page.serial).toBe(renewed?.serial);
  });

  it('shows the real error when the domain points elsewhere', async () => {
    const elsewhere = `elsewhere-${suffix}.customer-test.example`;
    await pebble.addA(elsewhere, ['127.0.0.2']);
    const added = await call(h.app, 'POST', domainsUrl(instance.id), { client: owner, body: { domain: elsewhere } });
    expect(added.statusCode, added.body).toBe(201);
    const id = (added.json() as DomainDto).id;
    expect((await call(h.app, 'POST', `${domainsUrl(instance.id)}/${id}/verify`, { client: owner })).statusCode).toBe(202);
    const failed = await waitForDomain(owner, instance.id, id, ['failed', 'active']);
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toContain('127.0.0.2');
    expect(failed.lastError).toContain('ECONNREFUSED');
    // Verifying again is allowed (after fixing DNS).
    const again = await call(h.app, 'POST', `${domainsUrl(instance.id)}/${id}/verify`, { client: owner });
    expect(again.statusCode).toBe(202);
    await waitForDomain(owner, instance.id, id, ['failed']);
    expect((await call(h.app, 'DELETE', `${domainsUrl(instance.id)}/${id}`, { client: owner })).statusCode).toBe(204);
  });

  it('refuses invalid and reserved names and taken domains, writing nothing', async () => {
    const other = await insertInstanceRow(h, outsider.tenantId, 'stopped');
    const cases: [string, number, string][] = [
      ['203.0.113.5', 400, 'invalid_domain'],
      ['[::1]', 400, 'invalid_domain'],
      ['localhost', 400, 'invalid_domain'],
      ['evil.com;', 400, 'invalid_domain'],
      ['evil.com; include /etc/passwd', 400, 'invalid_domain'],
      ['a.example.com\nserver_name x', 400, 'invalid_domain'],
      ['*.example.com', 400, 'invalid_domain'],
      ['$host.example.com', 400, 'invalid_domain'],
      [`${'a'.repeat(64)}.example.com`, 400, 'invalid_domain'],
      [`${'abcdefghi.'.repeat(25)}example.com`, 400, 'invalid_domain'],
      [`shop.localhost`, 400, 'reserved_domain'],
      ['admin.localhost', 400, 'reserved_domain'],
      [DOMAIN, 409, 'domain_taken'],
    ];
    for (const [name, status, code] of cases) {
      const res = await call(h.app, 'POST', domainsUrl(other.id), { client: outsider, body: { domain: name } });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(status);
      const problem = res.json() as { code: string; errors?: { code: string }[] };
      expect(problem.errors?.[0]?.code ?? problem.code, name).toBe(code);
    }
    expect(await h.platform.db.select().from(customDomains).where(eq(customDomains.instanceId, other.id))).toEqual([]);

    // Five per instance.
    for (let i = 0; i < 5; i++) {
      const res = await call(h.app, 'POST', domainsUrl(other.id), { client: outsider, body: { domain: `d${i}-${suffix}.example.org` } });
      expect(res.statusCode, res.body).toBe(201);
    }
    const sixth = await call(h.app, 'POST', domainsUrl(other.id), { client: outsider, body: { domain: `d6-${suffix}.example.org` } });
    expect(sixth.statusCode).toBe(409);
    expect(sixth.json().code).toBe('domain_limit_reached');
  });

  it('hides every domain route of an instance from another tenant', async () => {
    const own = await insertInstanceRow(h, outsider.tenantId, 'stopped');
    const base = domainsUrl(instance.id);
    const attempts: [string, string, unknown?][] = [
      ['GET', base],
      ['POST', base, { domain: `steal-${suffix}.example.org` }],
      ['GET', `${base}/${domain.id}`],
      ['POST', `${base}/${domain.id}/verify`],
      ['DELETE', `${base}/${domain.id}`],
      // Their own instance does not reach someone else's domain either.
      ['GET', `${domainsUrl(own.id)}/${domain.id}`],
      ['POST', `${domainsUrl(own.id)}/${domain.id}/verify`],
      ['DELETE', `${domainsUrl(own.id)}/${domain.id}`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(h.app, method as 'GET', url, { client: outsider, ...(body ? { body } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const still = await waitForDomain(owner, instance.id, domain.id, ['active']);
    expect(still.domain).toBe(DOMAIN);
  });

  it('removes a domain: no longer routed, certificate deleted, audited', async () => {
    const res = await call(h.app, 'DELETE', `${domainsUrl(instance.id)}/${domain.id}`, { client: owner });
    expect(res.statusCode, res.body).toBe(204);
    const certDir = join(edgePaths(edge.dir).certs, DOMAIN);
    await until(async () => !existsSync(certDir), 'the certificate to be removed');
    await until(async () => (await request(edge.httpPort, DOMAIN, '/web/login')).status === 404, 'the route without the domain');
    await expect(requestTls(edge.httpsPort ?? 0, DOMAIN, '/', await pebble.issuingRoot())).rejects.toThrow();
    expect(await h.platform.db.select().from(certificates).where(eq(certificates.name, DOMAIN))).toEqual([]);
    // The instance itself is still served at its subdomain.
    expect((await request(edge.httpPort, `${instance.slug}.localhost`, '/web/login')).status).toBe(200);

    const actions = (await h.platform.db.select().from(auditLog).where(like(auditLog.action, 'domain.%')))
      .filter((a) => a.tenantId === owner.tenantId)
      .map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['domain.add', 'domain.verify', 'domain.remove']));
  });

  it('deleting the instance removes its domains and their certificates', async () => {
    const pending = `later-${suffix}.customer-test.example`;
    expect((await call(h.app, 'POST', domainsUrl(instance.id), { client: owner, body: { domain: pending } })).statusCode).toBe(201);
    expect((await call(h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner })).statusCode).toBe(202);
    await until(
      async () =>
        await h.platform.instances.get(instance.id).then(
          () => false,
          () => true,
        ),
      'the instance to be deleted',
      60_000,
    );
    expect(await h.platform.db.select().from(customDomains).where(eq(customDomains.instanceId, instance.id))).toEqual([]);
    // The name is free again.
    const other = await insertInstanceRow(h, outsider.tenantId, 'stopped');
    expect((await call(h.app, 'POST', domainsUrl(other.id), { client: outsider, body: { domain: pending } })).statusCode).toBe(201);
  }, 90_000);
});
