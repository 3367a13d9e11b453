import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { backups } from '../../src/backups/backups.tables.js';
import { createDatabase, type Db } from '../../src/db/client.js';
import { instanceMoves } from '../../src/instances/instance-moves.tables.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { prepareDatabase } from '../../src/platform.js';
import { type InstanceRuntime, RuntimeError, type RuntimeNode } from '../../src/runtime/instance-runtime.js';
import { NODE_FAILOVER_RETRIED_ACTION, NODE_LOST_ACTION, type NodeLossFinding, NodeLossWatch } from '../../src/system/node-loss.js';
import { NodesService } from '../../src/system/nodes.service.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';
import { recreateTestDatabase } from '../support/purge.js';
import { testConfig } from '../test-env.js';

/**
 * A lost node's failover as the platform plans it (NodesService.failover, which the worker's node-loss check calls),
 * on the real Docker engine: its one node stands for the lost one, so no other node can hold anything. An instance
 * without a completed backup is blocked with that reason and nothing is invented; one with a backup has its RPO
 * recorded (loss − backup completion) and is blocked because no node can hold it. Asked again for the same loss,
 * nothing new is made. A database of its own: every live instance on the engine's node is part of the plan.
 *
 * Then the worker's node-loss watch (NodeLossWatch, which the reconciler runs on each pass) over a swarm whose nodes
 * are scripted around the real engine (one machine cannot lose a node; test/swarm/swarm-failover.swarm.test.ts loses
 * a real one): each watch is a worker process of its own, with nothing in memory but what it saw itself.
 */
const DB_NAME = 'saas_test_node_failover';

let h: Harness;
let owner: TestUser;
/** A second worker process's connections to the platform's database. */
let otherDb: { db: Db; close(): Promise<void> };

beforeAll(async () => {
  const database = new URL(process.env.TEST_DATABASE_URL ?? '');
  database.pathname = `/${DB_NAME}`;
  const env = { DATABASE_URL: database.toString() };
  await recreateTestDatabase(DB_NAME);
  const db = createDatabase(env.DATABASE_URL, 2);
  await prepareDatabase({ database: db, config: testConfig(env) });
  await db.close();
  h = await startHarness({ withWorker: false, env });
  owner = await createUser(h, { label: 'node-failover', verify: 'direct' });
  otherDb = createDatabase(env.DATABASE_URL, 4);
}, 60_000);

afterAll(async () => {
  await otherDb?.close();
  await h?.close();
  await recreateTestDatabase(DB_NAME, { drop: true });
});

describe('failover of a lost node', () => {
  it('blocks instances without a backup, records the RPO of the others, and plans each loss once', async () => {
    const { platform } = h;
    const [engine] = await platform.runtime.listNodes();
    if (!engine) throw new Error('the engine lists no node');
    const repo = new InstancesRepository(platform.db);
    const bare = await insertInstanceRow(h, owner.tenantId, 'running');
    const backedUp = await insertInstanceRow(h, owner.tenantId, 'stopped');
    if (!bare || !backedUp) throw new Error('no instance rows');
    await repo.update(bare.id, { nodeId: engine.id });
    await repo.update(backedUp.id, { nodeId: engine.id });
    const backupAt = new Date(Date.now() - 3_600_000);
    const lostAt = new Date(backupAt.getTime() + 1_234_000);
    const [backup] = await platform.db
      .insert(backups)
      .values({
        tenantId: owner.tenantId,
        instanceId: backedUp.id,
        kind: 'scheduled',
        status: 'completed',
        odooVersion: '18.0',
        storageKey: 'x/y/z.zip',
        completedAt: backupAt,
      })
      .returning();
    // An upload is not the instance's own data: never a failover's source.
    await platform.db.insert(backups).values({
      tenantId: owner.tenantId,
      instanceId: bare.id,
      kind: 'upload',
      status: 'completed',
      odooVersion: '18.0',
      storageKey: 'x/y/u.zip',
      completedAt: new Date(),
    });

    const nodes = new NodesService(platform.db, platform.runtime, platform.config, platform.queues);
    const result = await nodes.failover(engine.id, lostAt);
    const mine = result.moves.filter((m) => m.instanceId === bare.id || m.instanceId === backedUp.id);
    expect(mine).toHaveLength(2);
    const blockedBare = mine.find((m) => m.instanceId === bare.id);
    expect(blockedBare).toMatchObject({ kind: 'failover', status: 'blocked', backupId: null, rpoSeconds: null, toNodeId: '' });
    expect(blockedBare?.error).toContain('No completed backup');
    const blockedFull = mine.find((m) => m.instanceId === backedUp.id);
    expect(blockedFull).toMatchObject({ status: 'blocked', backupId: backup?.id, rpoSeconds: 1234, lostAt: lostAt.toISOString() });
    expect(blockedFull?.error).toContain('No other node can hold it');

    // Nothing was done to the instances; their histories say why they did not come back.
    expect((await repo.findById(bare.id))?.status).toBe('running');
    expect((await repo.events(bare.id)).at(-1)?.reason).toContain('not brought back after node');
    expect((await repo.events(bare.id)).at(-1)?.reason).toContain('No completed backup');

    // The same loss again (the next pass of the check): nothing new.
    const again = await nodes.failover(engine.id, lostAt);
    expect(again.moves.filter((m) => m.instanceId === bare.id || m.instanceId === backedUp.id)).toEqual([]);
    expect(await platform.db.select().from(instanceMoves).where(eq(instanceMoves.instanceId, bare.id))).toHaveLength(1);
    expect((await repo.events(bare.id)).filter((e) => e.reason?.includes('not brought back'))).toHaveLength(1);

    // Shown on the Nodes page's data, with the RPO.
    const { moves } = await nodes.list();
    expect(moves.find((m) => m.instanceId === backedUp.id)).toMatchObject({ status: 'blocked', rpoSeconds: 1234 });
  });
});

const T0 = Date.parse('2026-01-05T03:00:00.000Z');

const swarmNode = (name: string, over: Partial<RuntimeNode> = {}): RuntimeNode => ({
  id: `node-${name}-${randomUUID().slice(0, 8)}`,
  name,
  address: '10.0.0.1',
  role: 'worker',
  availability: 'active',
  state: 'ready',
  downSince: null,
  capacity: { memoryMb: 4096, cpuMillis: 4000 },
  labels: {},
  engineVersion: '28.0',
  ...over,
});

/**
 * The real engine behind a swarm's nodes as the test sets them: `nodes` is what the managers report, `homes` the
 * node holding each volume, and each removal of a volume's copy is recorded (`removals`), or refused while `refuse`
 * says why (the returned node's engine still starting).
 */
function scriptedSwarm(real: InstanceRuntime) {
  const state = {
    nodes: [] as RuntimeNode[],
    homes: new Map<string, string>(),
    removals: [] as { volume: string; nodeId: string }[],
    refuse: null as string | null,
  };
  const runtime: InstanceRuntime = Object.assign(Object.create(real) as InstanceRuntime, {
    listNodes: async () => state.nodes.map((n) => ({ ...n })),
    volumeNode: async (volume: string) => state.homes.get(volume) ?? null,
    removeVolumeCopy: async (volume: string, nodeId: string) => {
      if (state.refuse) throw new RuntimeError('removeVolumeCopy', volume, state.refuse, { statusCode: 503 });
      state.removals.push({ volume, nodeId });
    },
  });
  return { state, runtime };
}

/** A watch as one worker process runs it: its own memory, the platform's database through `db`. */
function watch(runtime: InstanceRuntime, db: Db = h.platform.db) {
  const { platform } = h;
  return new NodeLossWatch({ db, runtime, config: platform.config, queues: platform.queues, log: platform.log });
}

async function completedBackup(instanceId: string, completedAt: Date) {
  const [row] = await h.platform.db
    .insert(backups)
    .values({
      tenantId: owner.tenantId,
      instanceId,
      kind: 'scheduled',
      status: 'completed',
      odooVersion: '18.0',
      storageKey: `x/${instanceId}/b.zip`,
      completedAt,
    })
    .returning();
  if (!row) throw new Error('no backup row');
  return row;
}

const movesOf = (instanceId: string) =>
  h.platform.db.select().from(instanceMoves).where(eq(instanceMoves.instanceId, instanceId)).orderBy(instanceMoves.createdAt);
const auditOf = (action: string, nodeId: string) =>
  h.platform.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.targetId, nodeId)));
const kinds = (findings: NodeLossFinding[][]) => findings.flat().map((f) => f.kind);

describe('the node-loss watch', () => {
  it('queues a failover blocked for want of room once a node has room, once, whichever worker passes', async () => {
    const { platform } = h;
    const { state, runtime } = scriptedSwarm(platform.runtime);
    const lost = swarmNode('lost', { state: 'down', downSince: new Date(T0).toISOString() });
    // Too small for the instance's plan (512 MiB): no room anywhere at the loss.
    const small = swarmNode('small', { capacity: { memoryMb: 256, cpuMillis: 4000 } });
    state.nodes = [lost, small];
    const repo = new InstancesRepository(platform.db);
    const roomless = await insertInstanceRow(h, owner.tenantId, 'running');
    const second = await insertInstanceRow(h, owner.tenantId, 'running');
    const bare = await insertInstanceRow(h, owner.tenantId, 'running');
    if (!roomless || !second || !bare) throw new Error('no instance rows');
    // Placement takes the same-sized ones in id order: `roomless` first.
    const [first, next] = [roomless, second].sort((a, b) => (a.id < b.id ? -1 : 1)) as [typeof roomless, typeof roomless];
    for (const i of [roomless, second, bare]) await repo.update(i.id, { nodeId: lost.id });
    const backup = await completedBackup(first.id, new Date(T0 - 600_000));
    await completedBackup(next.id, new Date(T0 - 600_000));

    // Two worker processes, each with its watch, pass at the same time: the loss is recorded and planned once.
    const one = watch(runtime);
    const other = watch(runtime, otherDb.db);
    const pass = () => Promise.all([one.check(), other.check()]);
    expect(kinds(await pass())).toEqual(['lost']);
    expect(await auditOf(NODE_LOST_ACTION, lost.id)).toHaveLength(1);
    const [blockedMove] = await movesOf(first.id);
    expect(blockedMove).toMatchObject({ status: 'blocked', backupId: backup.id, toNodeId: '' });
    expect(blockedMove?.error).toContain('No other node can hold it (no_capacity');
    expect((await movesOf(bare.id)).map((m) => m.status)).toEqual(['blocked']);

    // Still no room: later passes make nothing new.
    expect(kinds(await pass())).toEqual([]);
    expect(await movesOf(first.id)).toHaveLength(1);

    // A node with room for one of them joins: the next passes queue that one's failover there, once. The other
    // stays blocked: the queued move holds the room, though its instance still counts on the lost node.
    const roomy = swarmNode('roomy', { capacity: { memoryMb: 768, cpuMillis: 4000 } });
    state.nodes = [lost, small, roomy];
    expect(kinds(await pass())).toEqual(['retried']);
    expect(kinds(await pass())).toEqual([]);
    expect((await movesOf(next.id)).map((m) => m.status)).toEqual(['blocked']);
    const moves = await movesOf(first.id);
    expect(moves.map((m) => m.status)).toEqual(['blocked', 'queued']);
    const queued = moves[1];
    expect(queued).toMatchObject({
      kind: 'failover',
      fromNodeId: lost.id,
      toNodeId: roomy.id,
      toNodeName: 'roomy',
      backupId: backup.id,
      lostAt: new Date(T0),
      rpoSeconds: 600,
    });
    expect(queued?.reason).toContain('planned again: node roomy can hold it now');
    expect(await platform.queues.instances.getJob(`move-${queued?.id}`)).toBeDefined();
    // Recorded in the audit trail, with the move.
    const retried = await auditOf(NODE_FAILOVER_RETRIED_ACTION, lost.id);
    expect(retried).toHaveLength(1);
    expect(retried[0]?.details).toMatchObject({
      nodeName: 'lost',
      lostAt: new Date(T0).toISOString(),
      moves: [{ moveId: queued?.id, instanceId: first.id, to: 'roomy', status: 'queued', backupId: backup.id }],
    });
    // Without a backup there is still nothing to bring back (and none can be taken while its node is lost).
    expect((await movesOf(bare.id)).map((m) => m.status)).toEqual(['blocked']);
    expect((await repo.events(bare.id)).filter((e) => e.reason?.includes('not brought back'))).toHaveLength(1);
  });

  it('removes the stale copy on a returned node in a worker that did not see the loss, and marks it so', async () => {
    const { platform } = h;
    const { state, runtime } = scriptedSwarm(platform.runtime);
    const lost = swarmNode('away', { state: 'down', downSince: new Date(T0).toISOString() });
    const other = swarmNode('other');
    state.nodes = [lost, other];
    const repo = new InstancesRepository(platform.db);
    const instance = await insertInstanceRow(h, owner.tenantId, 'running');
    if (!instance) throw new Error('no instance row');
    await repo.update(instance.id, { nodeId: lost.id });
    await completedBackup(instance.id, new Date(T0 - 60_000));
    const volume = instanceNames(platform.config.resourcePrefix, instance.id).volume;

    // The worker that sees the loss queues the failover, which succeeds (the swarm suite runs it for real).
    expect(kinds([await watch(runtime).check()])).toEqual(['lost']);
    const [move] = await movesOf(instance.id);
    if (move?.status !== 'queued') throw new Error(`the failover is ${move?.status}`);
    await platform.db.update(instanceMoves).set({ status: 'succeeded', finishedAt: new Date() }).where(eq(instanceMoves.id, move.id));
    await repo.update(instance.id, { nodeId: other.id });
    state.homes.set(volume, other.id);

    // That worker is gone (restarted); the node returns. A new worker's first pass finds the node's engine not
    // answering yet: the copy stays to remove.
    state.nodes = [{ ...lost, state: 'ready', downSince: null }, other];
    state.refuse = `node ${lost.id} does not answer`;
    const refused = await watch(runtime).check();
    expect(refused).toEqual([
      { kind: 'returned', nodeId: lost.id, nodeName: 'away', removed: 0, failed: [expect.stringContaining('does not answer')] },
    ]);
    expect((await movesOf(instance.id))[0]?.sourceRemovedAt).toBeNull();

    // Another new worker, once the engine answers: the copy is removed from the returned node, never the volume.
    state.refuse = null;
    const returned = await watch(runtime, otherDb.db).check();
    expect(returned).toEqual([{ kind: 'returned', nodeId: lost.id, nodeName: 'away', removed: 1, failed: [] }]);
    expect(state.removals).toEqual([{ volume, nodeId: lost.id }]);
    expect((await movesOf(instance.id))[0]?.sourceRemovedAt).toBeInstanceOf(Date);

    // Marked: no worker tries it again.
    expect(await Promise.all([watch(runtime).check(), watch(runtime, otherDb.db).check()])).toEqual([[], []]);
    expect(state.removals).toHaveLength(1);
  });
});
