import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { backups } from '../../src/backups/backups.tables.js';
import { routeFor } from '../../src/instances/instance-edge.js';
import { instanceMoves } from '../../src/instances/instance-moves.tables.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { Reconciler } from '../../src/instances/reconciler.js';
import { NODE_LOST_ACTION } from '../../src/system/node-loss.js';
import { call, createUser, type TestUser } from '../harness.js';
import { waitForBackup, withTenantDb } from '../support/backups.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { request } from '../support/nginx.js';
import { edgeLoadWithBystander } from '../support/swarm-edge-load.js';
import { swarmPlatform } from '../support/swarm-platform.js';

/**
 * Losing a node of the lab (three nodes, the Odoo stand-in: a test fixture, not Odoo): its link goes down and its
 * processes are killed. The worker's reconciler declares it lost after the grace period and its instance comes back
 * on another node from its latest backup: a file written before that backup is there, a file written after it is
 * not (the RPO, recorded and shown to operators), the database row written before the loss is there (the database
 * is central), and the instance answers through the platform's edge within a bound. When the node returns, the
 * instance stays where it came back and the stale copy of its volume on that node is removed, as is the volume of an
instance of that node deleted while it was away. A request load through
 * the edge on it and on an instance of another node runs throughout the loss: the other instance fails no request,
 * and the lost one fails only between the loss and its recovery, counted and printed.
 */
const IMAGE = 'odoo-standin:18.0';
const DB_NAME = 'saas_test_swarm_failover';
const GRACE_SECONDS = 5;
/** From the loss to the instance answering on its new node through the edge. */
const RECOVERY_BOUND_MS = 90_000;

const swarm = swarmPlatform({
  dbName: DB_NAME,
  image: IMAGE,
  edge: true,
  env: { NODE_LOST_GRACE_SECONDS: String(GRACE_SECONDS) },
});
let owner: TestUser;
let support: TestUser;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await swarm.start();
  owner = await createUser(swarm.harness, { label: 'swarm-failover', verify: 'direct' });
  support = await createUser(swarm.harness, { label: 'swarm-failover-support', verify: 'direct', platformRole: 'support' });
}, 240_000);

afterAll(() => swarm.stop(), 180_000);

describe('losing a node', () => {
  it('brings its instance back on another node from its latest backup, with the RPO recorded and shown', async () => {
    const { platform, app } = swarm.harness;
    const runtime = platform.runtime;
    // The lab's only manager must stay: the instance goes on a worker node (the manager takes nothing new meanwhile).
    const manager = (await runtime.listNodes()).find((n) => n.name === swarm.lab.manager.name);
    if (!manager) throw new Error('the manager node is not listed');
    await runtime.setNodeAvailability(manager.id, 'pause');
    const created = await createInstance(swarm.harness, owner, { version: '18.0' });
    const running = await waitForStatus(swarm.harness, owner, created.id, ['running', 'failed'], 120_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    await runtime.setNodeAvailability(manager.id, 'active');
    const before = await platform.instances.get(created.id);
    const from = (await runtime.listNodes()).find((n) => n.id === before.nodeId);
    if (!from) throw new Error('the instance is recorded on no node');
    expect(from.id).not.toBe(manager.id);
    const names = instanceNames(platform.config.resourcePrefix, before.id);

    // A second instance on the same node, without a backup: its failover is blocked, and its owner deletes it while
    // the node is away. Its volume stays on the node, out of reach, until the node answers again.
    const others = (await runtime.listNodes()).filter((n) => n.id !== from.id);
    for (const n of others) await runtime.setNodeAvailability(n.id, 'pause');
    const doomed = await createInstance(swarm.harness, owner, { version: '18.0' });
    const doomedRunning = await waitForStatus(swarm.harness, owner, doomed.id, ['running', 'failed'], 120_000);
    expect(doomedRunning.status, doomedRunning.lastError ?? '').toBe('running');
    for (const n of others) await runtime.setNodeAvailability(n.id, 'active');
    expect((await platform.instances.get(doomed.id)).nodeId).toBe(from.id);
    const doomedVolume = instanceNames(platform.config.resourcePrefix, doomed.id).volume;

    // Requests through the edge to it and to a bystander on another node, throughout the loss.
    const edgeLoad = await edgeLoadWithBystander(swarm, owner, before, 'lost', from.id);

    // Before the backup: a file in its filestore and a row in its database.
    const dir = `/var/lib/odoo/filestore/${names.db}`;
    const write = (file: string, text: string) =>
      runtime.exec(names.container, [
        'node',
        '-e',
        `const f=require('fs');f.mkdirSync(${JSON.stringify(dir)},{recursive:true});f.writeFileSync(${JSON.stringify(`${dir}/${file}`)},${JSON.stringify(text)})`,
      ]);
    expect((await write('before-backup.txt', 'kept')).exitCode).toBe(0);
    await withTenantDb(platform, before.id, (c) =>
      c.query(
        `create table failover_marker (note text); alter table failover_marker owner to ${names.role}; insert into failover_marker values ('before the backup')`,
      ),
    );

    // The backup, taken through the platform's API.
    const asked = await call(app, 'POST', `/api/v1/instances/${before.id}/backups`, { client: owner });
    expect(asked.statusCode, asked.body).toBe(202);
    const backup = await waitForBackup(swarm.harness, owner, before.id, (asked.json() as { id: string }).id);
    expect(backup.status, backup.error ?? '').toBe('completed');
    const [backupRow] = await platform.db.select().from(backups).where(eq(backups.id, backup.id));
    const backupAt = backupRow?.completedAt;
    if (!backupAt) throw new Error('the backup has no completion time');

    // After it: a file that only the lost node has, and a row the central database keeps.
    expect((await write('after-backup.txt', 'lost with the node')).exitCode).toBe(0);
    await withTenantDb(platform, before.id, (c) => c.query(`insert into failover_marker values ('after the backup')`));
    await sleep(1500); // a measurable RPO

    // The worker's periodic pass (the reconciler the worker schedules), driven here every 2 s.
    const reconciler = new Reconciler(
      {
        config: platform.config,
        database: platform.database,
        runtime,
        tenantDb: platform.tenantDb,
        backupStorage: platform.backupStorage,
        edge: platform.edge,
        redis: platform.redis,
        log: platform.log,
      },
      platform.queues,
    );
    let reconciling = true;
    const passes = (async () => {
      while (reconciling) {
        await reconciler.run();
        await sleep(2000);
      }
    })();

    try {
      edgeLoad.start();
      const lostAtLeast = Date.now();
      await swarm.lab.kill(from.name, 'loss');

      // Declared lost, and a failover move queued to another node.
      const deadline = lostAtLeast + RECOVERY_BOUND_MS;
      let move: typeof instanceMoves.$inferSelect | undefined;
      while (Date.now() < deadline) {
        [move] = await platform.db
          .select()
          .from(instanceMoves)
          .where(and(eq(instanceMoves.instanceId, before.id), eq(instanceMoves.kind, 'failover')));
        if (move && ['succeeded', 'failed', 'blocked'].includes(move.status)) break;
        await sleep(500);
      }
      expect(move?.status, move?.error ?? 'no failover move').toBe('succeeded');
      if (!move?.lostAt) throw new Error('the move has no loss time');
      expect(move.toNodeId).not.toBe(from.id);
      expect(move.backupId).toBe(backup.id);

      // It answers through the edge, on its new node, within the bound.
      const after = await platform.instances.get(before.id);
      expect(after.status).toBe('running');
      expect(after.nodeId).toBe(move.toNodeId);
      const route = await routeFor(platform, after);
      expect(route.upstream.http.startsWith(`${after.nodeAddress}:`)).toBe(true);
      let served = await request(swarm.edge.httpPort, route.hosts[0] ?? '', '/web/login');
      while (served.status !== 200 && Date.now() < deadline) {
        await sleep(500);
        served = await request(swarm.edge.httpPort, route.hosts[0] ?? '', '/web/login');
      }
      const recoveredMs = Date.now() - lostAtLeast;
      expect(served.status, served.body).toBe(200);
      expect(served.body).toContain('Odoo stand-in (test fixture)');
      expect(recoveredMs).toBeLessThan(RECOVERY_BOUND_MS);
      console.log(
        `failover: answering on ${move.toNodeName} ${(recoveredMs / 1000).toFixed(1)} s after the loss; RPO ${move.rpoSeconds} s`,
      );

      // The edge throughout: the bystander served every time, the lost instance all but between the loss and its recovery.
      await sleep(1500);
      const load = await edgeLoad.stop();
      console.log(
        `failover under load: lost instance ${load.lost?.failed} of ${load.lost?.sent} requests not served; bystander ${load.bystander?.failed} of ${load.bystander?.sent}`,
      );
      expect(load.bystander?.sent).toBeGreaterThan(20);
      expect(load.bystander?.failed).toBe(0);
      expect(load.lost?.failed).toBeGreaterThan(0);
      expect(load.lost?.failedFrom).toBeGreaterThanOrEqual(lostAtLeast - 1000);
      // A request sent just before the recovery may still wait out its 5 s timeout.
      expect(load.lost?.failedUntil).toBeLessThanOrEqual(lostAtLeast + recoveredMs + 5000 + 2000);

      // The files of the backup are back, the one written after it is lost; the database lost nothing.
      const read = await runtime.exec(names.container, [
        'node',
        '-e',
        `process.stdout.write(require('fs').readdirSync(${JSON.stringify(dir)}).join(','))`,
      ]);
      expect(read.exitCode).toBe(0);
      expect(read.output.split(',')).toContain('before-backup.txt');
      expect(read.output).not.toContain('after-backup.txt');
      const rows = await withTenantDb(platform, before.id, (c) => c.query('select note from failover_marker order by note'));
      expect(rows.rows.map((r) => r.note)).toEqual(['after the backup', 'before the backup']);

      // The RPO: from the backup's completion to the loss, as Swarm recorded the node down (after the kill).
      const lostAt = move.lostAt.getTime();
      expect(lostAt).toBeGreaterThanOrEqual(lostAtLeast - 1000);
      expect(lostAt).toBeLessThan(lostAtLeast + 60_000);
      expect(move.backupAt?.getTime()).toBe(backupAt.getTime());
      expect(move.rpoSeconds).toBe(Math.round((lostAt - backupAt.getTime()) / 1000));
      expect(move.rpoSeconds).toBeGreaterThanOrEqual(Math.floor((lostAtLeast - backupAt.getTime()) / 1000) - 1);

      // Shown to operators: the Nodes page lists the lost node down and the failover with its backup and RPO.
      const page = await call(app, 'GET', '/api/v1/admin/system/nodes', { client: support });
      expect(page.statusCode, page.body).toBe(200);
      const view = page.json() as {
        nodes: { id: string; state: string; downSince: string | null }[];
        moves: { id: string; kind: string; status: string; backupId: string | null; rpoSeconds: number | null; lostAt: string | null }[];
      };
      const lostNode = view.nodes.find((n) => n.id === from.id);
      expect(lostNode?.state).toBe('down');
      expect(lostNode?.downSince).toBe(move.lostAt.toISOString());
      expect(view.moves.find((m) => m.id === move?.id)).toMatchObject({
        kind: 'failover',
        status: 'succeeded',
        backupId: backup.id,
        rpoSeconds: move.rpoSeconds,
        lostAt: move.lostAt.toISOString(),
      });

      // The instance's history and the audit trail, recorded once however many passes ran.
      const events = await new InstancesRepository(platform.db).events(before.id);
      expect(events.at(-1)?.reason).toContain(`brought back on node ${move.toNodeName} after node ${from.name} was lost`);
      expect(events.at(-1)?.reason).toContain(`${move.rpoSeconds} s`);
      await reconciler.run();
      const audit = await platform.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, NODE_LOST_ACTION), eq(auditLog.targetId, from.id)));
      expect(audit).toHaveLength(1);
      expect(audit[0]?.details).toMatchObject({
        nodeName: from.name,
        lostAt: move.lostAt.toISOString(),
        moves: expect.arrayContaining([
          expect.objectContaining({ instanceId: before.id, backupId: backup.id, rpoSeconds: move.rpoSeconds, status: 'queued' }),
          expect.objectContaining({ instanceId: doomed.id, backupId: null, status: 'blocked' }),
        ]),
      });

      // The instance without a backup is deleted while its node is away: the deletion finishes, and its volume stays there.
      const deleted = await call(app, 'DELETE', `/api/v1/instances/${doomed.id}`, { client: owner });
      expect(deleted.statusCode, deleted.body).toBe(202);
      const deletedDeadline = Date.now() + 60_000;
      while ((await platform.instances.find(doomed.id))?.status !== 'deleted' && Date.now() < deletedDeadline) await sleep(500);
      expect((await platform.instances.find(doomed.id))?.status).toBe('deleted');
      // Its final backup is the database alone (the files are out of reach), and its history says so.
      const [finalBackup] = await platform.db
        .select()
        .from(backups)
        .where(and(eq(backups.instanceId, doomed.id), eq(backups.kind, 'final')));
      expect(finalBackup?.status, finalBackup?.error ?? '').toBe('completed');
      expect(finalBackup?.filestoreFiles).toBe(0);
      expect((await new InstancesRepository(platform.db).events(doomed.id)).map((e) => e.reason)).toContainEqual(
        expect.stringContaining('final backup of the database only'),
      );

      // The lost node returns: the instance stays on its new copy, and the stale copy left on the node is removed.
      await swarm.lab.restore(from.name);
      const oldEngine = swarm.lab.node(from.name).docker;
      // A volume on the returned node's own engine, until it is gone (404); its engine may still be starting.
      const onReturned = (volume: string) =>
        oldEngine
          .getVolume(volume)
          .inspect()
          .then(
            () => true,
            (err: { statusCode?: number }) => err.statusCode !== 404,
          );
      await expect
        .poll(() => onReturned(names.volume), { timeout: 90_000, interval: 1000, message: 'the stale copy on the returned node' })
        .toBe(false);
      // The deleted instance's volume goes from the returned node too (reconciler finding orphan_volume).
      await expect
        .poll(() => onReturned(doomedVolume), {
          timeout: 60_000,
          interval: 1000,
          message: "the deleted instance's volume on the returned node",
        })
        .toBe(false);
      expect(await runtime.volumeNode(names.volume)).toBe(move.toNodeId);
      const still = await request(swarm.edge.httpPort, route.hosts[0] ?? '', '/web/login');
      expect(still.status, still.body).toBe(200);
      const again = await runtime.exec(names.container, [
        'node',
        '-e',
        `process.stdout.write(require('fs').readdirSync(${JSON.stringify(dir)}).join(','))`,
      ]);
      expect(again.output.split(',')).toContain('before-backup.txt');
    } finally {
      reconciling = false;
      await passes;
    }
  }, 400_000);
});
