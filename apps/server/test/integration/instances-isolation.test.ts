import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { instanceNames, slotPorts } from '../../src/instances/instance-names.js';
import { createEgressPolicy } from '../../src/runtime/firewall/create-egress-policy.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { canConnect, createInstance, type InstanceDto, waitForStatus } from '../support/instances.js';

/**
 * Tenant A and tenant B each run an instance; nothing of A may reach B. The egress policy is on, as
 * in production: Docker's own isolation between networks has gaps while it creates a network.
 */
let h: Harness;
let a: TestUser;
let b: TestUser;
let instA: InstanceDto;
let instB: InstanceDto;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false', EGRESS_POLICY: 'on' } });
  [a, b] = await Promise.all([createUser(h, { label: 'tenant-a' }), createUser(h, { label: 'tenant-b' })]);
  [instA, instB] = await Promise.all([createInstance(h, a), createInstance(h, b)]);
  await Promise.all([waitForStatus(h, a, instA.id, ['running']), waitForStatus(h, b, instB.id, ['running'])]);
}, 240_000);
afterAll(async () => {
  // The other files' instances share the pool and run without the policy (their default).
  await createEgressPolicy(h.platform.config).remove();
  await h.close();
});

describe('isolation between tenants', () => {
  it("A's database role cannot open B's database (nor the platform's)", async () => {
    const key = h.platform.config.encryptionKey;
    const rowA = await h.platform.instances.get(instA.id);
    const namesA = instanceNames(h.platform.config.resourcePrefix, instA.id);
    const namesB = instanceNames(h.platform.config.resourcePrefix, instB.id);
    const base = new URL(h.platform.config.tenantDbAdminUrl);
    const as = (db: string) => {
      const url = new URL(base);
      url.username = namesA.role;
      url.password = decrypt(key, rowA.dbPassword, secretContext.instanceDbPassword(instA.id));
      url.pathname = `/${db}`;
      return url.toString();
    };
    expect(await canConnect(as(namesA.db))).toBe('connected');
    expect(await canConnect(as(namesB.db))).toMatch(/permission denied/);
    expect(await canConnect(as(base.pathname.slice(1)))).toMatch(/permission denied/);
  });

  it("A's container cannot open a connection to B's container or B's published port", async () => {
    const rowB = await h.platform.instances.get(instB.id);
    const engine = h.platform.runtime as unknown as { docker: import('dockerode') };
    const infoB = await engine.docker.getContainer(instanceNames(h.platform.config.resourcePrefix, instB.id).container).inspect();
    const ipB = Object.values(infoB.NetworkSettings.Networks)[0]?.IPAddress;
    const infoA = await engine.docker.getContainer(instanceNames(h.platform.config.resourcePrefix, instA.id).container).inspect();
    const gatewayA = Object.values(infoA.NetworkSettings.Networks)[0]?.Gateway;
    expect(ipB).toBeTruthy();
    const probe = (host: string, port: number) =>
      h.platform.runtime.exec(instanceNames(h.platform.config.resourcePrefix, instA.id).container, [
        'node',
        '-e',
        `const s=require('net').connect({host:${JSON.stringify(host)},port:${port},timeout:3000});` +
          `s.on('connect',()=>{console.log('OPEN');process.exit(0)});s.on('timeout',()=>{console.log('TIMEOUT');process.exit(0)});s.on('error',e=>{console.log('ERR '+e.code);process.exit(0)})`,
      ]);
    // Control: A reaches its own Odoo inside its container.
    expect((await probe('127.0.0.1', 8069)).output).toContain('OPEN');
    // Refused at once by the policy (Docker's isolation alone drops: a TIMEOUT).
    expect((await probe(ipB as string, 8069)).output.trim()).toBe('ERR EHOSTUNREACH');
    const published = slotPorts(h.platform.config.instancePortBase, rowB.slot).http;
    expect((await probe(gatewayA as string, published)).output.trim()).toBe('ERR EHOSTUNREACH');
  });

  it("a user of A gets 404 for every operation on B's instance, and B's instance is untouched", async () => {
    const id = instB.id;
    const requests: [string, string][] = [
      ['GET', `/api/v1/instances/${id}`],
      ['GET', `/api/v1/instances/${id}/history`],
      ['GET', `/api/v1/instances/${id}/events`],
      ['GET', `/api/v1/instances/${id}/logs`],
      ['GET', `/api/v1/instances/${id}/stats`],
      ['POST', `/api/v1/instances/${id}/stop`],
      ['POST', `/api/v1/instances/${id}/start`],
      ['POST', `/api/v1/instances/${id}/restart`],
      ['POST', `/api/v1/instances/${id}/credentials`],
      ['POST', `/api/v1/instances/${id}/admin-password`],
      ['DELETE', `/api/v1/instances/${id}`],
      ['GET', `/api/v1/tenants/${b.tenantId}/instances`],
      ['POST', `/api/v1/tenants/${b.tenantId}/instances`],
    ];
    for (const [method, url] of requests) {
      const res = await call(h.app, method as 'GET', url, {
        client: a,
        ...(method === 'POST' ? { body: { name: 'x', slug: 'intruder-slug' } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    const own = await call(h.app, 'GET', `/api/v1/tenants/${a.tenantId}/instances`, { client: a });
    expect(own.json().map((i: { id: string }) => i.id)).toEqual([instA.id]);
    const still = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client: b });
    expect(still.json()).toMatchObject({ status: 'running', desiredState: 'running', credentialsAvailable: true });
  });
});
