import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { BackupsRepository } from '../../src/backups/backups.repo.js';
import { registerAccessControl } from '../../src/http/access.js';
import { type Client, call, createUser, type Harness, joinTenant, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';

/**
 * Walks every operation of the OpenAPI document with every kind of caller and checks that the
 * access rule the operation publishes (`x-access`) is what the server enforces.
 */

type Role = 'anonymous' | 'outsider' | 'member' | 'tenantAdmin' | 'owner' | 'support' | 'platformAdmin';
const ROLES: Role[] = ['anonymous', 'outsider', 'member', 'tenantAdmin', 'owner', 'support', 'platformAdmin'];
const TENANT_ROLE: Partial<Record<Role, string>> = { member: 'member', tenantAdmin: 'admin', owner: 'owner' };
const PLATFORM_ROLE: Partial<Record<Role, string>> = { support: 'support', platformAdmin: 'admin' };

type Expectation = 'allow' | 'unauthenticated' | 'forbidden' | 'hidden';

function expected(rule: string, role: Role): Expectation {
  if (rule === 'public') return 'allow';
  if (role === 'anonymous') return 'unauthenticated';
  if (rule === 'user') return 'allow';
  const [kind, list = ''] = rule.split(':');
  const roles = list.split(',');
  if (kind === 'platform') return roles.includes(PLATFORM_ROLE[role] ?? '-') ? 'allow' : 'forbidden';
  if (kind === 'tenant') {
    const tenantRole = TENANT_ROLE[role];
    if (!tenantRole) return 'hidden';
    return roles.includes(tenantRole) ? 'allow' : 'forbidden';
  }
  throw new Error(`unknown access rule ${rule}`);
}

/** What the server's answer says about access. Business errors count as "allowed": access let the request through. */
function observed(status: number, code: string | undefined): Expectation {
  if (status === 401 && code === 'authentication_required') return 'unauthenticated';
  if (status === 403 && (code === 'forbidden' || code === 'insufficient_role')) return 'forbidden';
  if (status === 404 && code === 'not_found') return 'hidden';
  return 'allow';
}

let h: Harness;
let owner: TestUser;
const clients = {} as Record<Role, Client>;

let instanceId: string;
let backupId: string;

beforeAll(async () => {
  // Mail only: instance jobs the matrix causes are queued but never run.
  h = await startHarness({ workerOptions: { consumers: ['mail'] } });
  owner = await createUser(h, { label: 'owner' });
  const [member, tenantAdmin, outsider, support, platformAdmin] = await Promise.all([
    createUser(h, { label: 'member' }),
    createUser(h, { label: 'tadmin' }),
    createUser(h, { label: 'outsider' }),
    createUser(h, { label: 'support' }),
    createUser(h, { label: 'padmin' }),
  ]);
  await joinTenant(h, owner, member, 'member');
  await joinTenant(h, owner, tenantAdmin, 'admin');
  await new UsersRepository(h.platform.db).update(support.userId, { platformRole: 'support' });
  await new UsersRepository(h.platform.db).update(platformAdmin.userId, { platformRole: 'admin' });
  instanceId = (await insertInstanceRow(h, owner.tenantId, 'failed')).id;
  // A failed backup of it: nothing to download, its live stream ends at once, and deleting it goes late (below).
  const backups = new BackupsRepository(h.platform.db);
  backupId = (await backups.create({ tenantId: owner.tenantId, instanceId, kind: 'manual', odooVersion: '18.0', requestedBy: null })).id;
  await backups.fail(backupId, 'fixture');
  Object.assign(clients, { anonymous: { ip: owner.ip }, outsider, member, tenantAdmin, owner, support, platformAdmin });
});
afterAll(async () => {
  await h.close();
});

describe('RBAC matrix over the OpenAPI document', () => {
  it('publishes an access rule for every operation', () => {
    const doc = h.app.swagger() as unknown as { paths: Record<string, Record<string, { 'x-access'?: string }>> };
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op['x-access'])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it('enforces each operation’s rule for every role', async () => {
    const doc = h.app.swagger() as unknown as { paths: Record<string, Record<string, { 'x-access': string }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, rule: op['x-access'] })),
    );
    // Deleting the fixture instance and logging out end what later requests need, so they go last.
    // The owner's deletion of the fixture backup comes before the admins' (which then finds it gone: 404 backup_not_found).
    const rank = (op: { method: string; path: string }) => {
      if (op.path.endsWith('/logout')) return 4;
      if (op.method !== 'DELETE') return 0;
      if (op.path.includes('{instanceId}')) return 3;
      if (op.path.startsWith('/api/v1/admin/backups/')) return 2;
      return op.path.includes('{backupId}') ? 1 : 0;
    };
    operations.sort((a, b) => rank(a) - rank(b));

    const mismatches: string[] = [];
    let checked = 0;
    for (const op of operations) {
      // The tenant is real; any other id is malformed, so a request that passes access stops at validation and changes nothing.
      // The instance is real too (it belongs to that tenant and has failed, so actions on it are refused or harmless),
      // and so is a backup of it (failed: there is nothing to download).
      const url = op.path
        .replace('{tenantId}', owner.tenantId)
        .replace('{instanceId}', instanceId)
        .replace('{backupId}', backupId)
        .replace(/\{[^}]+\}/g, 'not-a-uuid');
      for (const role of ROLES) {
        const res = await call(h.app, op.method as 'GET', url, {
          client: clients[role],
          ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: [] }),
        });
        const code = res.headers['content-type']?.includes('json') ? (res.json() as { code?: string } | null)?.code : undefined;
        const want = expected(op.rule, role);
        const got = observed(res.statusCode, code);
        checked++;
        if (want !== got) mismatches.push(`${op.method} ${op.path} as ${role}: expected ${want}, got ${got} (${res.statusCode} ${code})`);
      }
    }
    expect(checked).toBe(operations.length * ROLES.length);
    expect(mismatches).toEqual([]);
  });

  it('refuses to start with a route that declares no access rule', async () => {
    const app = Fastify();
    registerAccessControl(app, {
      authenticate: async () => Promise.reject(new Error('unused')),
      requireStaffTotp: false,
    });
    const start = async () => {
      await app.register(
        async (api) => {
          api.get('/forgotten', async () => 'oops');
        },
        { prefix: '/api/v1' },
      );
      await app.ready();
    };
    await expect(start()).rejects.toThrow(/GET \/api\/v1\/forgotten declares no access rule/);
  });
});
