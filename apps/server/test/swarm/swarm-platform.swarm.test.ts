import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { routeFor } from '../../src/instances/instance-edge.js';
import { instanceNames, slotPorts } from '../../src/instances/instance-names.js';
import { prepareDatabase } from '../../src/platform.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, deleteAndWait, leftovers, waitForStatus } from '../support/instances.js';
import { recreateTestDatabase } from '../support/purge.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from '../support/swarm-lab.js';
import { startTcpForwarder } from '../support/tcp-forwarder.js';
import { testConfig } from '../test-env.js';

/**
 * The platform with INSTANCE_RUNTIME=swarm on the lab (three nodes, the Odoo stand-in loaded; a test fixture, not
 * Odoo): the API and a worker in this process drive the swarm through the manager's and the nodes' sockets, as the
 * configuration names them. The nodes reach the tenants' PostgreSQL through a forwarder on the host's lab address.
 * An instance provisioned through the API runs on a node, is recorded with that node and its address, is routed
 * and health-checked there, stops and starts, and its deletion leaves nothing on any node or on PostgreSQL.
 */
const IMAGE = 'odoo-standin:18.0';
const DB_NAME = 'saas_test_swarm';

let lab: SwarmLab | undefined;
let forwarder: Awaited<ReturnType<typeof startTcpForwarder>> | undefined;
let h: Harness | undefined;
let owner: TestUser;

function harness(): Harness {
  if (!h) throw new Error('the platform did not start');
  return h;
}

const recreateDatabase = (drop = false) => recreateTestDatabase(DB_NAME, { drop });

/** What the instance's Odoo answers on its node's address and published port. */
async function health(address: string, port: number) {
  return fetch(`http://${address}:${port}/web/health`, { signal: AbortSignal.timeout(3_000) }).then(
    (r) => r.status,
    () => 0,
  );
}

beforeAll(async () => {
  lab = await startSwarmLab({ images: [IMAGE] });
  const database = new URL(process.env.TEST_DATABASE_URL ?? '');
  forwarder = await startTcpForwarder({ host: lab.hostAddress }, { host: database.hostname, port: Number(database.port || 5432) });
  database.pathname = `/${DB_NAME}`;
  const env = {
    DATABASE_URL: database.toString(),
    INSTANCE_RUNTIME: 'swarm',
    SWARM_MANAGER: `unix://${lab.manager.socket}`,
    SWARM_NODE_ENGINES: lab.nodes.map((n) => `${n.name}=unix://${n.socket}`).join(','),
    TENANT_DB_HOST: lab.hostAddress,
    TENANT_DB_PORT: String(forwarder.port),
    ODOO_VERSIONS: `18.0=${IMAGE}`,
    PROVISION_FROM_TEMPLATE: 'false',
  };
  await recreateDatabase();
  const db = createDatabase(env.DATABASE_URL, 2);
  await prepareDatabase({ database: db, config: testConfig(env) });
  await db.close();
  h = await startHarness({ env });
  owner = await createUser(h, { label: 'swarm-platform', verify: 'direct' });
}, 240_000);

afterAll(async () => {
  await h?.close();
  await forwarder?.close();
  await (lab ? lab.stop() : stopSwarmLab());
  await recreateDatabase(true);
}, 180_000);

describe('the platform on a swarm', () => {
  it('provisions an instance onto a node, records where it runs, routes there, stops, starts and deletes it', async () => {
    const { platform } = harness();
    expect(platform.runtime).toBeInstanceOf(SwarmRuntime);
    const created = await createInstance(harness(), owner, { version: '18.0' });
    const running = await waitForStatus(harness(), owner, created.id, ['running', 'failed'], 180_000);
    expect(running.status, running.lastError ?? '').toBe('running');

    const row = await platform.instances.get(created.id);
    // The node the swarm runs its task on, as the manager reports it, and that node's lab address.
    const placed = (await platform.runtime.listNodes()).find((n) => n.id === row.nodeId);
    expect(placed?.name).toBeDefined();
    expect(row.nodeAddress).toBe(theLab().node(placed?.name ?? '').address);
    const { container } = instanceNames(platform.config.resourcePrefix, row.id);
    expect((await platform.runtime.inspectContainer(container))?.nodeId).toBe(row.nodeId);
    const port = slotPorts(platform.config.instancePortBase, row.slot).http;
    const route = await routeFor(platform, row);
    expect(route.upstream.http).toBe(`${row.nodeAddress}:${port}`);
    expect(await health(row.nodeAddress ?? '', port)).toBe(200);
    // Its database is reached from the node through the lab's host address.
    expect(forwarder?.connections()).toBeGreaterThan(0);

    expect((await call(harness().app, 'POST', `/api/v1/instances/${row.id}/stop`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(harness(), owner, row.id, ['stopped'], 60_000);
    expect(await health(row.nodeAddress ?? '', port)).toBe(0);
    expect((await call(harness().app, 'POST', `/api/v1/instances/${row.id}/start`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(harness(), owner, row.id, ['running'], 90_000);
    expect(await health(row.nodeAddress ?? '', port)).toBe(200);
    expect((await platform.instances.get(row.id)).nodeId).toBe(row.nodeId);

    await deleteAndWait(harness(), owner, row.id, 120_000);
    expect(await leftovers(harness(), row.id)).toEqual([]);
  }, 420_000);
});

function theLab(): SwarmLab {
  if (!lab) throw new Error('the swarm lab did not come up');
  return lab;
}
