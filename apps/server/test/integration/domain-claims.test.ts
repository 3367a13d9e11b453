import { and, eq, isNotNull, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { auditLog } from '../../src/audit/audit.tables.js';
import { expireDomainClaims } from '../../src/domains/domain-claims.js';
import { type customDomainSchema, PENDING_CLAIM_TTL_HOURS } from '../../src/domains/domains.schemas.js';
import { customDomains } from '../../src/domains/domains.tables.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { call, createUser, type Harness, type TestUser } from '../harness.js';
import { type DomainsStack, startDomainsStack } from '../support/domains-stack.js';
import { createInstance, type InstanceDto, insertInstanceRow, waitForStatus } from '../support/instances.js';
import { type PlatformEdge, request, requestTls } from '../support/nginx.js';
import type { Pebble } from '../support/pebble.js';

/**
 * Who owns a custom domain when several tenants claim it: pending claims never block, the first
 * verified claim wins and supersedes the others, an active domain still blocks, and claims not
 * verified in time expire. The real edge (TLS mode, pebble as CA, challtestsrv as DNS resolving
 * every name to 127.0.0.1) and real instances (the Odoo stand-in) behind it.
 */

type DomainDto = z.infer<typeof customDomainSchema>;

let stack: DomainsStack;
let edge: PlatformEdge;
let pebble: Pebble;
let h: Harness;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let aliceInstance: InstanceDto;
let bobInstance: InstanceDto;
const suffix = `${Date.now().toString(36)}${process.pid % 1000}`;
const name = (label: string) => `${label}-${suffix}.claims-test.example`;

const domainsUrl = (instanceId: string) => `/api/v1/instances/${instanceId}/domains`;

async function add(client: TestUser, instanceId: string, domain: string) {
  return call(h.app, 'POST', domainsUrl(instanceId), { client, body: { domain } });
}

async function addOk(client: TestUser, instanceId: string, domain: string): Promise<DomainDto> {
  const res = await add(client, instanceId, domain);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as DomainDto;
}

async function verify(client: TestUser, d: DomainDto) {
  return call(h.app, 'POST', `${domainsUrl(d.instanceId)}/${d.id}/verify`, { client });
}

/** The claim as its tenant sees it; null once it is gone. */
async function poll(client: TestUser, d: DomainDto): Promise<DomainDto | null> {
  const res = await call(h.app, 'GET', `${domainsUrl(d.instanceId)}/${d.id}`, { client });
  if (res.statusCode === 404) return null;
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as DomainDto;
}

/** Waits until the claim leaves `verifying`/`issuing` (or disappears). */
async function settle(client: TestUser, d: DomainDto, timeoutMs = 60_000): Promise<DomainDto | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await poll(client, d);
    if (!now || !['verifying', 'issuing'].includes(now.status)) return now;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`domain ${d.domain} did not settle`);
}

const rowsFor = (domain: string) => h.platform.db.select().from(customDomains).where(eq(customDomains.domain, domain));
const auditFor = (tenantId: string, action: string) =>
  h.platform.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, action)));
const mailTo = (to: string) => h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, to));

beforeAll(async () => {
  stack = await startDomainsStack();
  ({ edge, pebble, h } = stack);
  [alice, bob, carol] = await Promise.all([
    createUser(h, { label: 'claims-alice' }),
    createUser(h, { label: 'claims-bob' }),
    createUser(h, { label: 'claims-carol' }),
  ]);
  const [a, b] = await Promise.all([createInstance(h, alice, { version: '18.0' }), createInstance(h, bob, { version: '18.0' })]);
  [aliceInstance, bobInstance] = await Promise.all([
    waitForStatus(h, alice, a.id, ['running', 'failed']),
    waitForStatus(h, bob, b.id, ['running', 'failed']),
  ]);
  expect(aliceInstance.status, aliceInstance.lastError ?? '').toBe('running');
  expect(bobInstance.status, bobInstance.lastError ?? '').toBe('running');
}, 150_000);

afterAll(async () => {
  await stack?.close();
});

describe('custom domain claims', () => {
  const contested = name('contested');

  it('lets another tenant add a domain that is only pending elsewhere, and lets the first verified claim win', async () => {
    const alices = await addOk(alice, aliceInstance.id, contested);
    // A squatter's pending claim no longer blocks (this answered 409 domain_taken before).
    const bobs = await addOk(bob, bobInstance.id, contested);
    // One claim per tenant and name, though.
    const again = await add(alice, (await insertInstanceRow(h, alice.tenantId, 'stopped')).id, contested);
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().code).toBe('domain_taken');

    expect((await verify(bob, bobs)).statusCode).toBe(202);
    const won = await settle(bob, bobs);
    expect(won?.status, won?.lastError ?? '').toBe('active');
    const page = await requestTls(edge.httpsPort ?? 0, contested, '/web/login', await pebble.issuingRoot());
    expect(page.status).toBe(200);

    // Alice's never-verified claim is superseded: gone, audited in her trail, and she is told.
    expect(await poll(alice, alices)).toBeNull();
    expect((await rowsFor(contested)).map((r) => r.tenantId)).toEqual([bob.tenantId]);
    const [entry] = await auditFor(alice.tenantId, 'domain.supersede');
    expect(entry).toMatchObject({ targetId: alices.id, result: 'success', actorId: null });
    expect(entry?.details).toMatchObject({ domain: contested, instanceId: aliceInstance.id });
    const mails = await mailTo(alice.email);
    expect(mails.map((m) => m.subject)).toContain(`Custom domain ${contested} was removed`);
    // Nothing about Bob reaches Alice.
    expect(JSON.stringify(entry?.details)).not.toContain(bob.tenantId);
  }, 90_000);

  it('keeps an active domain: another tenant gets 409 domain_taken and writes nothing', async () => {
    const carolsInstance = await insertInstanceRow(h, carol.tenantId, 'stopped');
    for (const [client, instanceId] of [
      [carol, carolsInstance.id],
      [alice, aliceInstance.id],
    ] as const) {
      const res = await add(client, instanceId, contested.toUpperCase());
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().code).toBe('domain_taken');
    }
    expect((await rowsFor(contested)).map((r) => r.tenantId)).toEqual([bob.tenantId]);
    // Still served by Bob's instance.
    expect((await requestTls(edge.httpsPort ?? 0, contested, '/web/login', await pebble.issuingRoot())).status).toBe(200);
  });

  it('supersedes the later claims when the first claimant verifies', async () => {
    const late = name('late');
    const alices = await addOk(alice, aliceInstance.id, late);
    const carols = await addOk(carol, (await insertInstanceRow(h, carol.tenantId, 'stopped')).id, late);
    // Alice added it first and verifies first: Carol's pending claim is superseded.
    expect((await verify(alice, alices)).statusCode).toBe(202);
    expect((await settle(alice, alices))?.status).toBe('active');
    expect(await poll(carol, carols)).toBeNull();
    // Carol cannot claim it again while it is active.
    expect((await add(carol, carols.instanceId, late)).statusCode).toBe(409);
  }, 90_000);

  it('lets exactly one of two simultaneous verifications win', async () => {
    const raced = name('raced');
    const alices = await addOk(alice, aliceInstance.id, raced);
    const bobs = await addOk(bob, bobInstance.id, raced);
    const started = await Promise.all([verify(alice, alices), verify(bob, bobs)]);
    expect(started.map((r) => r.statusCode)).toEqual([202, 202]);
    const [a, b] = await Promise.all([settle(alice, alices), settle(bob, bobs)]);
    const outcomes = [a, b].map((d) => d?.status ?? 'superseded').sort();
    // The loser was superseded (if the winner claimed first) or failed its own claim (if it got there second).
    expect(outcomes[0]).toBe('active');
    expect(['superseded', 'failed']).toContain(outcomes[1]);
    const loser = [a, b].find((d) => d && d.status !== 'active');
    if (loser) expect(loser.lastError).toContain('verified this domain first');
    const verified = await h.platform.db
      .select()
      .from(customDomains)
      .where(and(eq(customDomains.domain, raced), isNotNull(customDomains.verifiedAt), ne(customDomains.status, 'failed')));
    expect(verified).toHaveLength(1);
  }, 120_000);

  it(`releases claims not active ${PENDING_CLAIM_TTL_HOURS} h after they were added, through the maintenance job`, async () => {
    const stale = name('stale');
    const staleFailed = name('stale-failed');
    const fresh = name('fresh');
    const staleRow = await addOk(alice, aliceInstance.id, stale);
    const staleFailedRow = await addOk(alice, aliceInstance.id, staleFailed);
    const freshRow = await addOk(alice, aliceInstance.id, fresh);
    const old = new Date(Date.now() - (PENDING_CLAIM_TTL_HOURS + 1) * 3600_000);
    await h.platform.db.update(customDomains).set({ createdAt: old }).where(eq(customDomains.id, staleRow.id));
    await h.platform.db
      .update(customDomains)
      .set({ createdAt: old, status: 'failed', lastError: 'no record' })
      .where(eq(customDomains.id, staleFailedRow.id));
    // An active domain added long ago stays.
    await h.platform.db.update(customDomains).set({ createdAt: old }).where(eq(customDomains.domain, contested));

    const result = await expireDomainClaims(stack.edgeDeps());
    expect(result.expired.sort()).toEqual([stale, staleFailed].sort());
    expect(await poll(alice, staleRow)).toBeNull();
    expect(await poll(alice, staleFailedRow)).toBeNull();
    expect((await poll(alice, freshRow))?.status).toBe('pending_dns');
    expect((await rowsFor(contested))[0]?.status).toBe('active');
    expect((await requestTls(edge.httpsPort ?? 0, contested, '/web/login', await pebble.issuingRoot())).status).toBe(200);

    const audited = (await auditFor(alice.tenantId, 'domain.expire')).map((e) => e.targetId);
    expect(audited.sort()).toEqual([staleRow.id, staleFailedRow.id].sort());
    expect((await mailTo(alice.email)).map((m) => m.subject)).toContain(`Custom domain ${stale} expired`);
    // Released: anyone may claim the name again; a second run finds nothing.
    await addOk(carol, (await insertInstanceRow(h, carol.tenantId, 'stopped')).id, stale);
    expect((await expireDomainClaims(stack.edgeDeps())).expired).toEqual([]);
    // Never served.
    expect((await request(edge.httpPort, stale, '/web/login')).status).toBe(404);
  });
});
