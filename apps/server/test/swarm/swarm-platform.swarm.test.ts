import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeFor } from '../../src/instances/instance-edge.js';
import { instanceNames, slotPorts } from '../../src/instances/instance-names.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { call, createUser, type TestUser } from '../harness.js';
import { createInstance, deleteAndWait, leftovers, waitForStatus } from '../support/instances.js';
import { swarmPlatform } from '../support/swarm-platform.js';

/**
 * The platform with INSTANCE_RUNTIME=swarm on the lab (three nodes, the Odoo stand-in loaded; a test fixture, not
 * Odoo): the API and a worker in this process drive the swarm through the manager's and the nodes' sockets, as the
 * configuration names them. The nodes reach the tenants' PostgreSQL through a forwarder on the host's lab address.
 * An instance provisioned through the API runs on a node, is recorded with that node and its address, is routed
 * and health-checked there, stops and starts, and its deletion leaves nothing on any node or on PostgreSQL.
 */
const IMAGE = 'odoo-standin:18.0';
const DB_NAME = 'saas_test_swarm';

const swarm = swarmPlatform({ dbName: DB_NAME, image: IMAGE });
let owner: TestUser;

beforeAll(async () => {
  await swarm.start();
  owner = await createUser(swarm.harness, { label: 'swarm-platform', verify: 'direct' });
}, 240_000);

afterAll(() => swarm.stop(), 180_000);

/** What the instance's Odoo answers on its node's address and published port. */
async function health(address: string, port: number) {
  return fetch(`http://${address}:${port}/web/health`, { signal: AbortSignal.timeout(3_000) }).then(
    (r) => r.status,
    () => 0,
  );
}

describe('the platform on a swarm', () => {
  it('provisions an instance onto a node, records where it runs, routes there, stops, starts and deletes it', async () => {
    const { platform } = swarm.harness;
    expect(platform.runtime).toBeInstanceOf(SwarmRuntime);
    const created = await createInstance(swarm.harness, owner, { version: '18.0' });
    const running = await waitForStatus(swarm.harness, owner, created.id, ['running', 'failed'], 180_000);
    expect(running.status, running.lastError ?? '').toBe('running');

    const row = await platform.instances.get(created.id);
    // The node the swarm runs its task on, as the manager reports it, and that node's lab address.
    const placed = (await platform.runtime.listNodes()).find((n) => n.id === row.nodeId);
    expect(placed?.name).toBeDefined();
    expect(row.nodeAddress).toBe(swarm.lab.node(placed?.name ?? '').address);
    const { container } = instanceNames(platform.config.resourcePrefix, row.id);
    expect((await platform.runtime.inspectContainer(container))?.nodeId).toBe(row.nodeId);
    const port = slotPorts(platform.config.instancePortBase, row.slot).http;
    const route = await routeFor(platform, row);
    expect(route.upstream.http).toBe(`${row.nodeAddress}:${port}`);
    expect(await health(row.nodeAddress ?? '', port)).toBe(200);
    // Its database is reached from the node through the lab's host address.
    expect(swarm.forwarder.connections()).toBeGreaterThan(0);

    expect((await call(swarm.harness.app, 'POST', `/api/v1/instances/${row.id}/stop`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(swarm.harness, owner, row.id, ['stopped'], 60_000);
    expect(await health(row.nodeAddress ?? '', port)).toBe(0);
    expect((await call(swarm.harness.app, 'POST', `/api/v1/instances/${row.id}/start`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(swarm.harness, owner, row.id, ['running'], 90_000);
    expect(await health(row.nodeAddress ?? '', port)).toBe(200);
    expect((await platform.instances.get(row.id)).nodeId).toBe(row.nodeId);

    await deleteAndWait(swarm.harness, owner, row.id, 120_000);
    expect(await leftovers(swarm.harness, row.id)).toEqual([]);
  }, 420_000);
});
