import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backups } from '../../src/backups/backups.tables.js';
import { createDatabase } from '../../src/db/client.js';
import { instanceMoves } from '../../src/instances/instance-moves.tables.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { prepareDatabase } from '../../src/platform.js';
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
 */
const DB_NAME = 'saas_test_node_failover';

let h: Harness;
let owner: TestUser;

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
}, 60_000);

afterAll(async () => {
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
