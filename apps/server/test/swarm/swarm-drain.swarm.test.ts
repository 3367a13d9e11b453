import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { routeFor } from '../../src/instances/instance-edge.js';
import { instanceMoves } from '../../src/instances/instance-moves.tables.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { call, createUser, type TestUser } from '../harness.js';
import { withTenantDb } from '../support/backups.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { request } from '../support/nginx.js';
import { edgeLoadWithBystander } from '../support/swarm-edge-load.js';
import { swarmPlatform } from '../support/swarm-platform.js';

/**
 * Draining a node of the lab (three nodes, the Odoo stand-in: a test fixture, not Odoo) through the admin API: the
 * node takes nothing new, its instance is moved by the worker to another node with its data — a file written into
 * its filestore and a row written into its database are both there after — answers at its new node's address
 * through the platform's edge (nginx), and nothing of it is left on the drained node, which ends `drain`. A request
 * load through the edge on it and on an instance of another node runs throughout: the other instance fails no
 * request, and the moved one fails only while its move runs (it is stopped for the copy), counted and printed.
 */
const IMAGE = 'odoo-standin:18.0';
const DB_NAME = 'saas_test_swarm_drain';
const MARKER = 'written before the drain';

const swarm = swarmPlatform({ dbName: DB_NAME, image: IMAGE, edge: true });
let owner: TestUser;
let admin: TestUser;
let support: TestUser;

beforeAll(async () => {
  await swarm.start();
  owner = await createUser(swarm.harness, { label: 'swarm-drain', verify: 'direct' });
  admin = await createUser(swarm.harness, { label: 'swarm-drain-admin', verify: 'direct', platformRole: 'admin' });
  support = await createUser(swarm.harness, { label: 'swarm-drain-support', verify: 'direct', platformRole: 'support' });
}, 240_000);

afterAll(() => swarm.stop(), 180_000);

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs / 1000} s; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('draining a node', () => {
  it('moves its instance to another node with its filestore and database, routed there, leaving nothing behind', async () => {
    const { platform, app } = swarm.harness;
    const created = await createInstance(swarm.harness, owner, { version: '18.0' });
    const running = await waitForStatus(swarm.harness, owner, created.id, ['running', 'failed'], 120_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    const before = await platform.instances.get(created.id);
    const from = (await platform.runtime.listNodes()).find((n) => n.id === before.nodeId);
    if (!from) throw new Error('the instance is recorded on no node');
    const names = instanceNames(platform.config.resourcePrefix, before.id);

    // Requests through the edge to it and to a bystander on another node, from before the drain to after the move.
    const edgeLoad = await edgeLoadWithBystander(swarm, owner, before, 'moved', from.id);

    // Data written before: a file in its filestore (by a process in its container) and a row in its database.
    const marker = `/var/lib/odoo/filestore/${names.db}/drain-marker.txt`;
    const write = `const f=require('fs');f.mkdirSync(require('path').dirname(${JSON.stringify(marker)}),{recursive:true});f.writeFileSync(${JSON.stringify(marker)},${JSON.stringify(MARKER)})`;
    expect((await platform.runtime.exec(names.container, ['node', '-e', write])).exitCode).toBe(0);
    await withTenantDb(platform, before.id, (c) =>
      c.query(`create table drain_marker (note text); insert into drain_marker values ('${MARKER}')`),
    );

    // Support staff see the Nodes page but cannot drain; bad input is refused with a stable code.
    const drainUrl = `/api/v1/admin/system/nodes/${from.id}/drain`;
    const body = { reason: 'hardware maintenance on this node (ticket 42)' };
    expect((await call(app, 'POST', drainUrl, { client: support, body })).statusCode).toBe(403);
    const short = await call(app, 'POST', drainUrl, { client: admin, body: { reason: 'x' } });
    expect(short.statusCode).toBe(400);
    expect((await call(app, 'POST', '/api/v1/admin/system/nodes/nosuchnode/drain', { client: admin, body })).statusCode).toBe(404);

    edgeLoad.start();
    const drained = await call(app, 'POST', drainUrl, { client: admin, body });
    expect(drained.statusCode, drained.body).toBe(202);
    const result = drained.json() as {
      availability: string;
      moves: { id: string; instanceId: string; toNodeId: string }[];
      leftovers: unknown[];
    };
    expect(result.availability).toBe('pause');
    expect(result.leftovers).toEqual([]);
    expect(result.moves.map((m) => m.instanceId)).toEqual([before.id]);
    const to = result.moves[0]?.toNodeId;
    expect(to).toBeDefined();
    expect(to).not.toBe(from.id);

    const move = await waitFor(
      'the move',
      async () =>
        (
          await platform.db
            .select()
            .from(instanceMoves)
            .where(eq(instanceMoves.id, result.moves[0]?.id ?? ''))
        )[0],
      (row) => row?.status === 'succeeded' || row?.status === 'failed',
      120_000,
    );
    expect(move?.status, move?.error ?? '').toBe('succeeded');

    // Recorded, running and routed on the new node.
    const after = await platform.instances.get(before.id);
    expect(after.status).toBe('running');
    expect(after.nodeId).toBe(to);
    const target = (await platform.runtime.listNodes()).find((n) => n.id === to);
    expect(after.nodeAddress).toBe(target?.address);
    expect(after.nodeAddress).not.toBe(before.nodeAddress);
    expect((await platform.runtime.inspectContainer(names.container))?.nodeId).toBe(to);
    const route = await routeFor(platform, after);
    expect(route.upstream.http.startsWith(`${after.nodeAddress}:`)).toBe(true);
    const host = route.hosts[0] ?? '';
    const served = await request(swarm.edge.httpPort, host, '/web/login');
    expect(served.status, served.body).toBe(200);
    expect(served.body).toContain('Odoo stand-in (test fixture)');

    // The edge throughout: the bystander served every time, the moved instance all but while its move ran.
    await new Promise((r) => setTimeout(r, 1500));
    const load = await edgeLoad.stop();
    const moveFrom = move?.createdAt.getTime() ?? 0;
    const moveUntil = move?.finishedAt?.getTime() ?? 0;
    console.log(
      `drain under load: moved instance ${load.moved?.failed} of ${load.moved?.sent} requests not served, during its move of ${((moveUntil - moveFrom) / 1000).toFixed(1)} s; bystander ${load.bystander?.failed} of ${load.bystander?.sent}`,
    );
    expect(load.bystander?.sent).toBeGreaterThan(20);
    expect(load.bystander?.failed).toBe(0);
    expect(load.moved?.sent).toBeGreaterThan(20);
    if (load.moved?.failed) {
      expect(load.moved.failedFrom).toBeGreaterThanOrEqual(moveFrom - 1000);
      // A request sent just before the route moved may still wait out its 5 s timeout.
      expect(load.moved.failedUntil).toBeLessThanOrEqual(moveUntil + 5000 + 2000);
    }

    // The data came along: the file in the filestore on the new node, the row in the database.
    const read = await platform.runtime.exec(names.container, [
      'node',
      '-e',
      `process.stdout.write(require('fs').readFileSync(${JSON.stringify(marker)},'utf8'))`,
    ]);
    expect(read.output).toContain(MARKER);
    const rows = await withTenantDb(platform, before.id, (c) => c.query('select note from drain_marker'));
    expect(rows.rows).toEqual([{ note: MARKER }]);

    // Nothing left on the drained node, which now takes nothing and is drained.
    const oldEngine = swarm.lab.node(from.name).docker;
    await expect(oldEngine.getVolume(names.volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await platform.runtime.volumeNode(names.volume)).toBe(to);
    const nodeAfter = (await platform.runtime.listNodes()).find((n) => n.id === from.id);
    expect(nodeAfter?.availability).toBe('drain');

    // Shown to operators (the Nodes page), in the instance's history and in the audit trail with the reason.
    const page = await call(app, 'GET', '/api/v1/admin/system/nodes', { client: support });
    const view = page.json() as { moves: { id: string; status: string }[]; nodes: { id: string; instances: { id: string }[] }[] };
    expect(view.moves.find((m) => m.id === move?.id)?.status).toBe('succeeded');
    expect(view.nodes.find((n) => n.id === to)?.instances.map((i) => i.id)).toContain(before.id);
    const events = await new InstancesRepository(platform.db).events(before.id);
    expect(events.at(-1)?.reason).toContain(`moved from node ${from.name}`);
    const audit = await platform.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'admin.node_drain'), eq(auditLog.result, 'success')));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.targetId).toBe(from.id);
    expect(JSON.stringify(audit[0]?.details)).toContain(body.reason);

    // Drain does not touch the node's Swarm membership: made active again, it takes instances again.
    await platform.runtime.setNodeAvailability(from.id, 'active');
    expect((await platform.runtime.listNodes()).find((n) => n.id === from.id)?.availability).toBe('active');
  }, 300_000);
});
