import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, deleteAndWait, insertInstanceRow, waitForStatus } from '../support/instances.js';

/**
 * The Nodes page's data on a single Docker engine (the real one): the engine as the one node with its real
 * capacity, a provisioned instance (odoo-standin image) on it holding its plan's limits, a failed instance without a
 * container listed apart, and who may read it.
 */

type NodesBody = {
  nodes: {
    id: string;
    name: string;
    role: string;
    state: string;
    capacity: { memoryMb: number; cpuMillis: number };
    allocated: { memoryMb: number; cpuMillis: number };
    egress: { state: string; reason: string | null; checkedAt: string | null };
    instances: { id: string; status: string; limits: { memoryMb: number; cpuMillis: number } }[];
  }[];
  unplaced: { id: string }[];
};

let h: Harness;
let admin: TestUser;
let support: TestUser;
let owner: TestUser;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' }, workerOptions: { maintenance: false } });
  [admin, support, owner] = await Promise.all([
    createUser(h, { label: 'nodes-admin', verify: 'direct', platformRole: 'admin' }),
    createUser(h, { label: 'nodes-support', verify: 'direct', platformRole: 'support' }),
    createUser(h, { label: 'nodes-owner', verify: 'direct' }),
  ]);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('GET /admin/system/nodes', () => {
  it('shows the engine as one node with its capacity, its instances and what their plans hold', async () => {
    const created = await createInstance(h, owner, { version: '18.0' });
    await waitForStatus(h, owner, created.id, ['running']);
    const failed = await insertInstanceRow(h, owner.tenantId, 'failed');

    const res = await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: admin });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as NodesBody;
    const engine = await (h.platform.runtime as DockerRuntime).docker.info();
    expect(body.nodes).toHaveLength(1);
    const [node] = body.nodes;
    expect(node).toMatchObject({ id: engine.ID, role: 'standalone', state: 'ready' });
    expect(node?.capacity).toEqual({ memoryMb: Math.floor(engine.MemTotal / 1_048_576), cpuMillis: engine.NCPU * 1000 });
    // The tests run with EGRESS_POLICY=off (admin-nodes-egress.test.ts has the policy's states).
    expect(node?.egress).toEqual({ state: 'off', reason: 'EGRESS_POLICY=off', checkedAt: null });

    const mine = node?.instances.find((i) => i.id === created.id);
    expect(mine?.status).toBe('running');
    expect(mine?.limits.memoryMb).toBeGreaterThan(0);
    // Other test files' instances share the engine: the sum holds at least this one's limits.
    expect(node?.allocated.memoryMb).toBeGreaterThanOrEqual(mine?.limits.memoryMb ?? Number.POSITIVE_INFINITY);
    expect(body.unplaced.map((i) => i.id)).toContain(failed.id);
    expect(node?.instances.map((i) => i.id)).not.toContain(failed.id);

    await deleteAndWait(h, owner, created.id);
    const after = (await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: admin })).json() as NodesBody;
    expect(after.nodes[0]?.instances.map((i) => i.id)).not.toContain(created.id);
  }, 120_000);

  it('is read by support too, and refused to tenants', async () => {
    expect((await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: support })).statusCode).toBe(200);
    const refused = await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: owner });
    expect(refused.statusCode).toBe(403);
  });
});

describe('POST /admin/system/nodes/:nodeId/drain', () => {
  const reason = 'retiring this machine (ticket 7)';

  it('is refused on a single engine (nowhere to move to), to support and tenants, and without a proper reason or node', async () => {
    const body = (await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: admin })).json() as NodesBody & {
      moves: unknown[];
    };
    expect(Array.isArray(body.moves)).toBe(true);
    const nodeId = body.nodes[0]?.id ?? '';
    const url = `/api/v1/admin/system/nodes/${nodeId}/drain`;
    const engine = await call(h.app, 'POST', url, { client: admin, body: { reason } });
    expect(engine.statusCode, engine.body).toBe(409);
    expect(engine.json()).toMatchObject({ code: 'single_engine' });
    expect((await call(h.app, 'POST', '/api/v1/admin/system/nodes/a%2Fb/drain', { client: admin, body: { reason } })).statusCode).toBe(400);
    const swarmLike = await call(h.app, 'POST', '/api/v1/admin/system/nodes/abc123/drain', { client: admin, body: { reason } });
    expect(swarmLike.statusCode).toBe(404);
    expect(swarmLike.json()).toMatchObject({ code: 'not_found' });
    expect(
      (await call(h.app, 'POST', '/api/v1/admin/system/nodes/abc123/drain', { client: admin, body: { reason: 'short' } })).statusCode,
    ).toBe(400);
    expect((await call(h.app, 'POST', '/api/v1/admin/system/nodes/abc123/drain', { client: support, body: { reason } })).statusCode).toBe(
      403,
    );
    expect((await call(h.app, 'POST', '/api/v1/admin/system/nodes/abc123/drain', { client: owner, body: { reason } })).statusCode).toBe(
      403,
    );
  });
});
