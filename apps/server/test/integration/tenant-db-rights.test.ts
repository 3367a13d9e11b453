import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceNames } from '../../src/instances/instance-names.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';
import { connectAsInstance, plantSpyTrigger, roleOnServer, spyLog } from '../support/tenant-db.js';

/**
 * The tenant owns its database's tables, so anything it plants there (a trigger, through an Odoo server
 * action or a shell in its container) runs with the rights of whoever writes to them. The platform writes to
 * a tenant database only as that instance's own role: a planted trigger sees the instance's role as the
 * session's user and cannot act as the platform. And pg_hba admits from instance networks only the
 * instance group's members, each to its own database: never the platform's role.
 */
let h: Harness;
let owner: TestUser;
let other: TestUser;
let instance: InstanceDto;
let otherInstance: InstanceDto;
const probeRole = `spy_escalated_${randomUUID().slice(0, 8)}`;

const names = (id: string) => instanceNames(h.platform.config.resourcePrefix, id);

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  [owner, other] = await Promise.all([createUser(h, { label: 'planter' }), createUser(h, { label: 'neighbour' })]);
  [instance, otherInstance] = await Promise.all([createInstance(h, owner), createInstance(h, other)]);
  await Promise.all([waitForStatus(h, owner, instance.id, ['running']), waitForStatus(h, other, otherInstance.id, ['running'])]);
}, 240_000);

afterAll(async () => {
  await roleOnServer(h.platform.config.tenantDbAdminUrl, probeRole, true);
  await h.close();
});

describe("the platform never runs SQL in a tenant's database with its own rights", () => {
  it('a trigger planted on res_users sees only the instance role when the platform resets the admin password', async () => {
    const tenant = await connectAsInstance(h, instance.id);
    const adminRole = new URL(h.platform.config.tenantDbAdminUrl).username;
    try {
      await plantSpyTrigger(tenant, probeRole);

      const res = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/admin-password`, { client: owner });
      expect(res.statusCode, res.body).toBe(200);

      const log = await spyLog(tenant);
      // The trigger did run (the platform wrote to res_users), as the instance and nobody else.
      expect(log.length).toBeGreaterThan(0);
      for (const row of log) {
        expect(row).toEqual({ cur: names(instance.id).role, sess: names(instance.id).role, escalated: false });
        expect(row.sess).not.toBe(adminRole);
      }
    } finally {
      await tenant.end();
    }
    expect(await roleOnServer(h.platform.config.tenantDbAdminUrl, probeRole)).toBe(false);
  });
});

/**
 * PostgreSQL's first answer to a StartupMessage, sent from inside an instance container: 'R' (it asks for a
 * password: pg_hba admitted the pair) or its error text (e.g. "no pg_hba.conf entry"). No password is needed
 * to learn whether pg_hba admits a role to a database from that address.
 */
async function startupAnswer(fromInstance: string, user: string, database: string): Promise<string> {
  const { tenantDbHost, tenantDbPort } = h.platform.config;
  const script = `
    const net = require('net');
    const params = Buffer.from(['user', ${JSON.stringify(user)}, 'database', ${JSON.stringify(database)}, ''].join('\\0') + '\\0');
    const head = Buffer.alloc(8); head.writeInt32BE(8 + params.length, 0); head.writeInt32BE(196608, 4);
    const s = net.connect({ host: ${JSON.stringify(tenantDbHost)}, port: ${tenantDbPort}, timeout: 5000 });
    s.on('connect', () => s.write(Buffer.concat([head, params])));
    s.once('data', (d) => { const t = String.fromCharCode(d[0]); console.log(t === 'R' ? 'AUTH' : 'ERROR ' + d.subarray(5).toString('latin1').split('\\0').join(' ')); process.exit(0); });
    s.on('timeout', () => { console.log('TIMEOUT'); process.exit(0); });
    s.on('error', (e) => { console.log('SOCKET ' + e.code); process.exit(0); });`;
  const result = await h.platform.runtime.exec(names(fromInstance).container, ['node', '-e', script]);
  return result.output.trim();
}

/** pg_hba's refusals: no line admits the pair, or a line rejects it (the platform's role, by name). */
const REFUSED = /^ERROR .*(no pg_hba\.conf entry|pg_hba\.conf rejects connection)/;

describe('pg_hba from an instance network', () => {
  it("admits the instance's role to its own database only, and never the platform's role", async () => {
    const platformRole = new URL(h.platform.config.databaseUrl).username;
    // Control: the instance's own pair is admitted (PostgreSQL asks for the password).
    expect(await startupAnswer(instance.id, names(instance.id).role, names(instance.id).db)).toBe('AUTH');
    // The platform's role, to the database of its own name (what `sameuser` used to admit) and to the test's.
    expect(await startupAnswer(instance.id, platformRole, platformRole)).toMatch(REFUSED);
    expect(await startupAnswer(instance.id, platformRole, new URL(h.platform.config.databaseUrl).pathname.slice(1))).toMatch(REFUSED);
    // Another tenant's database, under this instance's role or under the other instance's.
    expect(await startupAnswer(instance.id, names(instance.id).role, names(otherInstance.id).db)).toMatch(REFUSED);
    // A role that is not an instance role (the maintenance superuser), even to `postgres`.
    expect(await startupAnswer(instance.id, 'postgres', 'postgres')).toMatch(REFUSED);
  });
});
