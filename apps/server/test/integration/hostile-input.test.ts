import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { createDatabase } from '../../src/db/client.js';
import { LABELS } from '../../src/instances/instance-names.js';
import { prepareDatabase } from '../../src/platform.js';
import { TenantsRepository } from '../../src/tenants/tenants.repo.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { fillPath, type HostileCase, hostileCases, type Operation, operationsOf, sample } from '../support/openapi-cases.js';
import { purgeTestResources, recreateTestDatabase } from '../support/purge.js';
import { testConfig } from '../test-env.js';

/**
 * Every operation of the OpenAPI document, called by every kind of caller (and by none) with
 * malformed, oversized, boundary, mistyped and injected values in its path, query and body.
 * No answer may be a 5xx; every refusal is a problem document with a code; and a refused request
 * writes nothing: no row, no container, volume or network, no edge file.
 *
 * The file runs on a database, an engine label (RESOURCE_PREFIX) and an edge directory of its own,
 * so the counters it compares are not moved by test files running beside it. No worker runs: an
 * accepted request may queue jobs, but no job ever starts a container.
 */

type Role = 'anonymous' | 'outsider' | 'member' | 'tenantAdmin' | 'owner' | 'support' | 'platformAdmin';
const ROLES: Role[] = ['anonymous', 'outsider', 'member', 'tenantAdmin', 'owner', 'support', 'platformAdmin'];
/** Cases each role gets besides the operation's primary role, which gets them all. */
const SAMPLE_PER_ROLE = 8;
const RESOURCE_PREFIX = 'saashostile';
const DB_NAME = 'saas_test_hostile';

/** The role that passes the access rule, so the full list of cases reaches validation and the handler. */
function primaryRole(rule: string): Role {
  if (rule === 'public') return 'anonymous';
  if (rule.startsWith('platform:')) return 'platformAdmin';
  return 'owner';
}

let h: Harness;
let edgeDir: string;
let databaseUrl: string;
const users = {} as Record<Exclude<Role, 'anonymous'>, TestUser>;
let real: Record<string, string>;

const recreateDatabase = (drop = false) => recreateTestDatabase(DB_NAME, { drop });

beforeAll(async () => {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.pathname = `/${DB_NAME}`;
  databaseUrl = url.toString();
  edgeDir = await mkdtemp(join(tmpdir(), 'hostile-edge-'));
  const env = { DATABASE_URL: databaseUrl, RESOURCE_PREFIX, EDGE_ROUTER: 'nginx', EDGE_DIR: edgeDir };
  await recreateDatabase();
  const database = createDatabase(databaseUrl, 2);
  await prepareDatabase({ database, config: testConfig(env) });
  await database.close();

  h = await startHarness({ withWorker: false, env });
  const make = (label: string) => createUser(h, { label, verify: 'direct' });
  const [owner, member, tenantAdmin, outsider, support, platformAdmin] = (await Promise.all(
    ['owner', 'member', 'tadmin', 'outsider', 'support', 'padmin'].map(make),
  )) as TestUser[];
  Object.assign(users, { owner, member, tenantAdmin, outsider, support, platformAdmin });
  const tenants = new TenantsRepository(h.platform.db);
  await tenants.addMember(users.owner.tenantId, users.member.userId, 'member');
  await tenants.addMember(users.owner.tenantId, users.tenantAdmin.userId, 'admin');
  const repo = new UsersRepository(h.platform.db);
  await repo.update(users.support.userId, { platformRole: 'support' });
  await repo.update(users.platformAdmin.userId, { platformRole: 'admin' });
  const instance = await insertInstanceRow(h, users.owner.tenantId, 'failed');
  real = { tenantId: users.owner.tenantId, instanceId: instance.id };
});

afterAll(async () => {
  await h?.close();
  await purgeTestResources(testConfig({ DATABASE_URL: databaseUrl, RESOURCE_PREFIX })).catch(() => undefined);
  await recreateDatabase(true);
  await rm(edgeDir, { recursive: true, force: true });
});

/**
 * A fingerprint of what the platform stores: row counts of every table, and a digest of the rows
 * that a refused request could change in place. audit_log is left out on purpose: a refused write is
 * recorded as a failure (that is the point of an audit trail); the test checks those rows separately.
 * users leaves out failed_logins/locked_until and sessions last_used_at, which legitimately move on refusals.
 */
const FINGERPRINT = sql.raw(`select json_build_object(
  'users', (select count(*) || ':' || md5(coalesce(string_agg(concat_ws('|', id, email, name, password_hash, email_verified_at,
      totp_secret, totp_enabled_at, disabled_at, platform_role), ',' order by id), '')) from users),
  'sessions', (select count(*) || ':' || md5(coalesce(string_agg(id || '|' || coalesce(revoked_at::text, ''), ',' order by id), '')) from sessions),
  ${[
    'tenants',
    'memberships',
    'invitations',
    'instances',
    'custom_domains',
    'certificates',
    'plans',
    'odoo_versions',
    'workflow_runs',
    'mail_outbox',
  ]
    .map((t) => `'${t}', (select count(*) || ':' || md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from ${t} t)`)
    .join(',\n  ')},
  ${['refresh_tokens', 'email_tokens', 'recovery_codes', 'instance_events', 'dev_mailbox', 'reconcile_runs', 'odoo_templates']
    .map((t) => `'${t}', (select count(*) from ${t})`)
    .join(', ')}
) as f`);

async function rows(): Promise<Record<string, string>> {
  const result = await h.platform.db.execute(FINGERPRINT);
  return (result.rows[0] as { f: Record<string, string> }).f;
}

/** The engine's containers, volumes and networks of this file's prefix, and every file of its edge directory. */
async function outside(): Promise<string[]> {
  const docker = new Docker({ socketPath: h.platform.config.dockerSocket });
  const filters = { label: [`${LABELS.platform}=${RESOURCE_PREFIX}`] };
  const [containers, networks, { Volumes = [] }] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const files = await readdir(edgeDir, { recursive: true });
  const sized = await Promise.all(files.map(async (f) => `${f}:${(await stat(join(edgeDir, f))).size}`));
  return [
    ...containers.map((c) => `container ${c.Id}`),
    ...networks.map((n) => `network ${n.Id}`),
    ...Volumes.map((v) => `volume ${v.Name}`),
    ...sized.sort(),
  ];
}

let ipCounter = 0;
/** A fresh client address per request (unique to this file), so per-address rate limits do not hide the deeper checks. */
const nextIp = () => `fd68:6f73:7469:6c65::${(++ipCounter).toString(16)}`;

/** Sends a case as a role (its bearer token only: no refresh cookie, so no case can end the role's session). */
async function send(op: Operation, c: HostileCase, role: Role) {
  const headers: Record<string, string> = { 'x-forwarded-for': nextIp(), ...c.headers };
  if (role !== 'anonymous') headers.authorization = `Bearer ${users[role].token}`;
  if (c.contentType) headers['content-type'] = c.contentType;
  const request = h.app.inject({ method: op.method, url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
  // A streaming answer that never ends is a finding too, not a stuck suite.
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref());
  return Promise.race([request, timeout]);
}

interface Outcome {
  op: string;
  role: Role;
  target: string;
  label: string;
  status: number;
  code?: string;
}

describe('hostile input to every operation of the OpenAPI document', () => {
  // About 130 s alone on two cores, and the operations keep growing; a loaded machine takes twice that.
  it('answers without a 5xx, refuses with problem details, and a refusal writes nothing', { timeout: 420_000 }, async () => {
    const operations = operationsOf(h.app.swagger());
    expect(operations.length).toBeGreaterThan(60);
    // Logging out ends nothing here (no cookie is sent), but it goes last anyway, as in the RBAC matrix.
    operations.sort((a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')));

    const failures: string[] = [];
    const accepted: Outcome[] = [];
    const refusedIds: string[] = [];
    const counts = { requests: 0, refused: 0, opsUntouched: 0 };
    const started = Date.now();

    for (const op of operations) {
      const name = `${op.method} ${op.path}`;
      const all = hostileCases(op, real);
      const engineBefore = await outside();
      let opAccepted = 0;
      for (const [index, role] of ROLES.entries()) {
        const forRole = role === primaryRole(op.rule) ? all : sample(all, SAMPLE_PER_ROLE, index);
        // Only a caller without credentials may send the forged token (a role's own token would replace it).
        const cases =
          role === 'anonymous'
            ? [{ target: 'auth', label: 'no credentials', url: fillPath(op, real) }, ...forRole]
            : forRole.filter((c) => c.target !== 'auth');
        // What the store holds before each case: the reading after the case before it (a refused case
        // left it as it was, or is a failure already), read again after any other.
        let before = await rows();
        for (const c of cases) {
          const outcome: Outcome = { op: name, role, target: c.target, label: c.label, status: 0 };
          let res: Awaited<ReturnType<typeof send>>;
          try {
            res = await send(op, c, role);
          } catch (err) {
            failures.push(`${name} as ${role}, ${c.target} ${c.label}: ${(err as Error).message}`);
            before = await rows();
            continue;
          }
          counts.requests++;
          outcome.status = res.statusCode;
          const where = `${name} as ${role}, ${c.target} ${c.label}: ${res.statusCode}`;
          if (res.statusCode >= 500) failures.push(`${where} ${res.body.slice(0, 200)}`);
          if (res.statusCode < 400) {
            accepted.push(outcome);
            opAccepted++;
            before = await rows();
            continue;
          }
          counts.refused++;
          refusedIds.push(String(res.headers['x-request-id']));
          const after = await rows();
          const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
          before = after;
          if (changed.length) failures.push(`${where} was refused but wrote to ${changed.join(', ')}`);
          if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
            failures.push(`${where} answered ${res.headers['content-type']}, not problem details`);
            continue;
          }
          outcome.code = (res.json() as { code?: unknown }).code as string;
          if (typeof outcome.code !== 'string' || !outcome.code) failures.push(`${where} has no problem code`);
        }
      }
      // Without a worker nothing may reach the engine or the edge; a refused batch certainly not.
      const engineAfter = await outside();
      if (engineAfter.join() !== engineBefore.join()) {
        failures.push(`${name} (${opAccepted} accepted) changed the engine or edge: ${JSON.stringify({ engineBefore, engineAfter })}`);
      }
      if (opAccepted === 0) counts.opsUntouched++;
    }

    // The audit trail records refused writes, and only as failures.
    const recorded = await h.platform.db
      .select({ action: auditLog.action, result: auditLog.result, n: sql<number>`count(*)::int` })
      .from(auditLog)
      .where(inArray(auditLog.requestId, refusedIds))
      .groupBy(auditLog.action, auditLog.result);
    expect(recorded.filter((r) => r.result !== 'failure')).toEqual([]);
    expect(recorded.length).toBeGreaterThan(0);

    const summary = accepted.reduce<Record<string, number>>((acc, o) => {
      const key = `${o.op} ${o.target}`;
      acc[key] = (acc[key] ?? 0) + 1;
      return acc;
    }, {});
    console.log(
      `hostile input: ${operations.length} operations × ${ROLES.length} callers, ${counts.requests} cases ` +
        `(${counts.refused} refused, ${accepted.length} accepted in ${Object.keys(summary).length} operation/field pairs; ` +
        `${counts.opsUntouched} operations refused every case) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(`accepted (allowed to write, left out of the no-write check): ${JSON.stringify(summary, null, 1)}`);

    expect(failures).toEqual([]);
    // Hostile slugs never pass the validator, so no hostile case can provision an instance.
    const slugs = accepted.filter((o) => o.op.endsWith('/instances') && o.target === 'body.slug');
    expect(slugs).toEqual([]);
    expect(counts.requests).toBeGreaterThan(3000);
  });
});
