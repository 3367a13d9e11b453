import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressReports, HOST_EGRESS_NODE, NoEgressPolicy } from '../../src/runtime/egress-policy.js';
import { NftEgressPolicy } from '../../src/runtime/firewall/nft-egress-policy.js';
import type { RuntimeNode } from '../../src/runtime/instance-runtime.js';
import { EgressStates } from '../../src/system/egress-states.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { freePort } from '../support/nginx.js';

/**
 * Each node's egress policy state on the Nodes page, from the worker to the API through the real Redis: the reports
 * a worker publishes after an apply (EgressStates.publish, as enforceEgressPolicy does at its start and on each
 * reconciler run) come back from GET /admin/system/nodes (applied, failed with its reason); a machine without a
 * fresh report is `unknown` with the likely cause, a report past its TTL is gone, Redis away reads as `unknown`
 * and EGRESS_POLICY=off as `off`. No worker runs here (so nothing touches the machine's firewall): the reports are
 * written as a worker writes them. The real policies' applies are tested elsewhere: egress-policy.test.ts (this
 * host, published `applied`) and the swarm suite's swarm-egress test (each node `applied` on this page).
 */

type Egress = { state: string; reason: string | null; checkedAt: string | null };
type NodesBody = { nodes: { id: string; name: string; role: string; state: string; egress: Egress }[] };

let h: Harness;
let admin: TestUser;

beforeAll(async () => {
  h = await startHarness({ withWorker: false, env: { EGRESS_POLICY: 'on' } });
  admin = await createUser(h, { label: 'egress-nodes-admin', verify: 'direct', platformRole: 'admin' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function listed(): Promise<NodesBody['nodes']> {
  const res = await call(h.app, 'GET', '/api/v1/admin/system/nodes', { client: admin });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as NodesBody).nodes;
}

/** A swarm node as the runtime lists one (the data the Nodes page is built from). */
const swarmNode = (id: string, name: string, state: RuntimeNode['state'] = 'ready'): RuntimeNode => ({
  id,
  name,
  address: '10.99.0.1',
  role: 'worker',
  availability: 'active',
  state,
  capacity: { memoryMb: 4096, cpuMillis: 2000 },
  labels: {},
  engineVersion: '27.0.0',
});

const report = (nodeId: string, state: 'applied' | 'failed' | 'skipped', reason: string | null = null) => ({
  nodeId,
  nodeName: nodeId,
  state,
  reason,
  checkedAt: new Date().toISOString(),
});

describe('the egress policy per node on GET /admin/system/nodes', () => {
  it('on one engine: unknown before any report, then the host’s failed and applied states as the worker published them', async () => {
    const [before] = await listed();
    expect(before?.role).toBe('standalone');
    expect(before?.egress).toMatchObject({ state: 'unknown', checkedAt: null, reason: expect.stringMatching(/No worker has checked it/) });

    // What the worker's apply of the one-host policy reports: the worker's host, failed with nft's reason.
    const scope = async () => {
      throw new Error('not applied here');
    };
    const failed = egressReports(new NftEgressPolicy(scope), { applied: false, reason: 'nft: Operation not permitted' });
    expect(failed).toEqual([
      expect.objectContaining({ nodeId: HOST_EGRESS_NODE, state: 'failed', reason: 'nft: Operation not permitted' }),
    ]);
    const since = Date.now();
    await h.platform.egressStates.publish(failed);
    const [shownFailed] = await listed();
    expect(shownFailed?.egress).toMatchObject({ state: 'failed', reason: 'nft: Operation not permitted' });
    expect(Date.parse(shownFailed?.egress.checkedAt ?? '')).toBeGreaterThanOrEqual(since - 1000);

    await h.platform.egressStates.publish(egressReports(new NftEgressPolicy(scope), { applied: true, changed: true }));
    const [shownApplied] = await listed();
    expect(shownApplied?.egress).toMatchObject({ state: 'applied', reason: null });
    expect(shownApplied?.egress.checkedAt).not.toBeNull();
    // The key is the platform's, under its prefix, with a TTL.
    const ttl = await h.platform.redis.pttl(`${h.platform.config.queuePrefix}:egress-node:${HOST_EGRESS_NODE}`);
    expect(ttl).toBeGreaterThan(0);
    // A policy that is off reports no machine.
    expect(egressReports(new NoEgressPolicy('EGRESS_POLICY=off'), { applied: false, reason: 'off' })).toEqual([]);
  });

  it('on a swarm: each node’s own state by its id, unknown for a down one, and a report past its TTL gone', async () => {
    const nodes = [swarmNode('egressnodea', 'node-a'), swarmNode('egressnodeb', 'node-b'), swarmNode('egressnodec', 'node-c', 'down')];
    const states = new EgressStates(h.platform.redis, h.platform.config);
    await states.publish([report('egressnodea', 'applied'), report('egressnodeb', 'failed', 'nft (on node-b) exited 1: no such table')]);
    const byId = await states.forNodes(nodes);
    expect(byId.get('egressnodea')).toMatchObject({ state: 'applied', reason: null });
    expect(byId.get('egressnodeb')).toMatchObject({ state: 'failed', reason: 'nft (on node-b) exited 1: no such table' });
    expect(byId.get('egressnodec')).toEqual({ state: 'unknown', reason: expect.stringMatching(/The node is down/), checkedAt: null });

    // A node left without the policy on purpose, published with a short TTL: shown, then gone once it expires.
    const shortLived = new EgressStates(h.platform.redis, h.platform.config, { ttlMs: 400 });
    const reason = 'runs tasks of other services (saas_api), which the policy would fence in too';
    await shortLived.publish([report('egressnodea', 'skipped', reason)]);
    expect((await states.forNodes(nodes)).get('egressnodea')).toMatchObject({ state: 'skipped', reason });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const after = await states.forNodes(nodes);
    expect(after.get('egressnodea')).toMatchObject({
      state: 'unknown',
      checkedAt: null,
      reason: expect.stringMatching(/No worker has checked it/),
    });
    // The others keep their own reports.
    expect(after.get('egressnodeb')?.state).toBe('failed');
  });

  it('says `unknown`, not an error, when Redis does not answer; `off` with EGRESS_POLICY=off, whatever was published', async () => {
    // A real client of a port nothing listens on, failing at once instead of queueing.
    const away = new Redis({
      host: '127.0.0.1',
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    try {
      const unread = await new EgressStates(away, h.platform.config).forNodes([swarmNode('egressnodea', 'node-a')]);
      expect(unread.get('egressnodea')).toEqual({
        state: 'unknown',
        reason: expect.stringMatching(/^Redis did not answer: /),
        checkedAt: null,
      });
    } finally {
      away.disconnect();
    }

    const off = new EgressStates(h.platform.redis, { ...h.platform.config, egressPolicy: false });
    const [node] = await h.platform.runtime.listNodes();
    if (!node) throw new Error('the engine lists no node');
    expect((await off.forNodes([node])).get(node.id)).toEqual({ state: 'off', reason: 'EGRESS_POLICY=off', checkedAt: null });
  });
});
