import { inArray } from 'drizzle-orm';
import type { z } from 'zod';
import { type BackupRow, BackupsRepository } from '../backups/backups.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, notFound } from '../errors/domain-error.js';
import { enqueueMoveJob } from '../instances/instance-jobs.js';
import { failoverText } from '../instances/instance-moves.js';
import { type InstanceMoveRow, InstanceMovesRepository } from '../instances/instance-moves.repo.js';
import { type InstanceStatus, InstancesRepository } from '../instances/instances.repo.js';
import { instances } from '../instances/instances.tables.js';
import type { Queues } from '../jobs/queues.js';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';
import { type PlacedInstance, planDrain, planFailover, type SwarmNode } from '../runtime/swarm/placement.js';
import type { NodeEgress, NodeEgressSource } from './egress-states.js';
import {
  askEngine,
  HOLDING,
  type MoveView,
  moveViews,
  type NodeInstance,
  type NodeView,
  placedInstances,
  toSwarmNode,
} from './node-views.js';
import type { drainResultSchema } from './system-admin.schemas.js';

/** Instances a failover brings back: the others are busy with an operation of their own. */
const settled = (i: { status: InstanceStatus }) => i.status === 'running' || i.status === 'stopped';

export type DrainResult = z.infer<typeof drainResultSchema>;

/** What a node's loss started: a failover move per instance (queued, or blocked with the reason), and the instances left. */
export interface FailoverResult {
  nodeId: string;
  lostAt: string;
  moves: MoveView[];
  leftovers: DrainResult['leftovers'];
}

/** A node as the Nodes page lists it: with the instances' egress policy there. */
export interface ListedNode extends NodeView {
  egress: NodeEgress;
}

/**
 * The operators' view of the machines instances run on (each node's capacity, what the plans of its instances
 * take of it, and the instances themselves: node-views.ts), and what they do with them: drain a node, and the
 * failover of a lost one's instances.
 */
export class NodesService {
  constructor(
    private readonly db: Db,
    private readonly runtime: InstanceRuntime,
    private readonly config: Pick<Config, 'resourcePrefix'>,
    private readonly queues: Queues,
    /** Each node's egress policy state as the worker published it (the list only; `unknown` without it). */
    private readonly egress?: NodeEgressSource,
  ) {}

  async list(): Promise<{ nodes: ListedNode[]; unplaced: NodeInstance[]; moves: MoveView[] }> {
    const [placed, moves] = await Promise.all([this.placed(), new InstanceMovesRepository(this.db).recent(50)]);
    const [egress, views] = await Promise.all([
      this.egress ? this.egress.forNodes(placed.nodes) : new Map<string, NodeEgress>(),
      this.moveViews(moves),
    ]);
    const unknown: NodeEgress = { state: 'unknown', reason: null, checkedAt: null };
    return {
      nodes: placed.nodes.map((n) => ({ ...n, egress: egress.get(n.id) ?? unknown })),
      unplaced: placed.unplaced,
      moves: views,
    };
  }

  /**
   * Empties a node (swarm only): it takes nothing new at once (`pause`: its instances keep serving until their
   * turn), each running or stopped instance gets a queued move to the node planDrain chose, with its data, and
   * the last move off it marks it `drain`. Instances no node can hold, or busy ones, stay and are listed.
   */
  async drain(nodeId: string, reason: string, actorId: string | null): Promise<DrainResult> {
    const { nodes } = await this.placed();
    const node = nodes.find((n) => n.id === nodeId);
    if (!node) throw notFound('Node');
    if (node.role === 'standalone')
      throw conflict('single_engine', 'This platform runs its instances on one Docker engine: there is no other node to move them to.');
    if (node.state === 'down')
      throw conflict(
        'node_down',
        'The node is down: its data cannot be copied. Its instances come back from their latest backups (failover).',
      );
    await askEngine(() => this.runtime.setNodeAvailability(nodeId, 'pause'));

    const movable = node.instances.filter((i) => i.status === 'running' || i.status === 'stopped');
    const leftovers: DrainResult['leftovers'] = node.instances
      .filter((i) => !movable.includes(i))
      .map((i) => ({
        instanceId: i.id,
        slug: i.slug,
        code: 'busy',
        reason: `The instance is ${i.status}; drain again once it is settled.`,
      }));
    const placed: PlacedInstance[] = movable.map((i) => ({ id: i.id, nodeId, reservation: i.limits }));
    const placeable = nodes.map((n) => ({ ...toSwarmNode(n), ...(n.id === nodeId ? { availability: 'pause' as const } : {}) }));
    const plan = planDrain(nodeId, placeable, placed);
    const slugOf = new Map(node.instances.map((i) => [i.id, i.slug]));
    for (const l of plan.leftovers) leftovers.push({ instanceId: l.instanceId, slug: slugOf.get(l.instanceId) ?? '', ...l.refusal });

    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const repo = new InstanceMovesRepository(this.db);
    const created: InstanceMoveRow[] = [];
    for (const move of plan.moves) {
      const row = await repo.create({
        instanceId: move.instanceId,
        kind: 'drain',
        fromNodeId: nodeId,
        fromNodeName: node.name,
        toNodeId: move.to,
        toNodeName: names.get(move.to) ?? move.to,
        reason,
        requestedBy: actorId,
      });
      if (!row) {
        const slug = slugOf.get(move.instanceId) ?? '';
        leftovers.push({ instanceId: move.instanceId, slug, code: 'busy', reason: 'The instance is being moved already.' });
        continue;
      }
      await enqueueMoveJob(this.queues, row);
      created.push(row);
    }
    let availability: DrainResult['availability'] = 'pause';
    if (node.instances.length === 0) {
      await askEngine(() => this.runtime.setNodeAvailability(nodeId, 'drain'));
      availability = 'drain';
    }
    return { nodeId, availability, moves: await this.moveViews(created), leftovers };
  }

  /**
   * Brings back a lost node's instances (swarm only; the worker's node-loss watch calls it once per loss): each
   * running or stopped instance on it gets a failover move to the node planFailover chose, from its latest completed
   * backup, with the data lost (RPO) recorded: the time between that backup and `lostAt`. An instance without a
   * completed backup, or that no node can hold, gets a `blocked` move with the reason instead, and nothing is done
   * to it (`retryBlockedFailovers` plans it again). Asked again for the same loss, the instances that have a move
   * for it already are skipped.
   */
  async failover(nodeId: string, lostAt: Date): Promise<FailoverResult> {
    const { nodes } = await this.placed();
    const node = nodes.find((n) => n.id === nodeId);
    if (!node) throw notFound('Node');
    const done = new Set((await new InstanceMovesRepository(this.db).failoversOf(nodeId, lostAt)).map((m) => m.instanceId));
    const pending = node.instances.filter((i) => !done.has(i.id));
    const movable = pending.filter(settled);
    const leftovers: FailoverResult['leftovers'] = pending
      .filter((i) => !movable.includes(i))
      .map((i) => ({ instanceId: i.id, slug: i.slug, code: 'busy', reason: `The instance is ${i.status}: not brought back.` }));
    const { created, busy } = await this.bringBack(node, nodes, movable, lostAt, { retry: false });
    return { nodeId, lostAt: lostAt.toISOString(), moves: await this.moveViews(created), leftovers: [...leftovers, ...busy] };
  }

  /**
   * The blocked failovers of a loss planned again (the worker's node-loss watch, on each pass while the node stays
   * lost): an instance whose latest failover for this loss is `blocked` gets a queued one as soon as it can come
   * back: a node with room for it (added, or freed) and a completed backup. One still blocked keeps its blocked move,
   * and nothing new is recorded. An instance blocked for want of a backup stays blocked in practice: a backup reads
   * its filestore, which is on the lost node, so it comes back when its node returns.
   */
  async retryBlockedFailovers(nodeId: string, lostAt: Date): Promise<FailoverResult> {
    const latest = new Map<string, InstanceMoveRow>();
    // Oldest first: the last one of an instance is its latest.
    for (const move of await new InstanceMovesRepository(this.db).failoversOf(nodeId, lostAt)) latest.set(move.instanceId, move);
    const blocked = new Set([...latest.values()].filter((m) => m.status === 'blocked').map((m) => m.instanceId));
    const result: FailoverResult = { nodeId, lostAt: lostAt.toISOString(), moves: [], leftovers: [] };
    // The common pass: nothing blocked, and no need to ask the engines.
    if (blocked.size === 0) return result;
    const { nodes } = await this.placed();
    const node = nodes.find((n) => n.id === nodeId);
    if (!node) throw notFound('Node');
    const movable = node.instances.filter((i) => blocked.has(i.id) && settled(i));
    const { created, busy } = await this.bringBack(node, nodes, movable, lostAt, { retry: true });
    return { ...result, moves: await this.moveViews(created), leftovers: busy };
  }

  /**
   * The failover moves of `movable` (instances of the lost `node`): those with a completed backup are placed on the
   * other nodes (planFailover, over what their plans and the moves under way hold) and queued; the others get a
   * `blocked` move with the reason, recorded in the instance's history. On a `retry`, an instance that would be
   * blocked again gets nothing: its blocked move stands.
   */
  private async bringBack(
    node: NodeView,
    nodes: NodeView[],
    movable: NodeInstance[],
    lostAt: Date,
    { retry }: { retry: boolean },
  ): Promise<{ created: InstanceMoveRow[]; busy: FailoverResult['leftovers'] }> {
    const repo = new InstanceMovesRepository(this.db);
    const versions = new Map(
      movable.length
        ? (
            await this.db
              .select({ id: instances.id, version: instances.version })
              .from(instances)
              .where(
                inArray(
                  instances.id,
                  movable.map((i) => i.id),
                ),
              )
          ).map((r) => [r.id, r.version])
        : [],
    );
    const backupsRepo = new BackupsRepository(this.db);
    const backups = new Map<string, BackupRow>();
    for (const i of movable) {
      const backup = await backupsRepo.latestCompleted(i.id, versions.get(i.id) ?? '');
      if (backup?.completedAt) backups.set(i.id, backup);
    }
    const plan = planFailover(
      node.id,
      await this.withLiveMoves(nodes),
      // Only what can come back takes room in the plan.
      movable.filter((i) => backups.has(i.id)).map((i) => ({ id: i.id, nodeId: node.id, reservation: i.limits })),
    );
    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const noBackup =
      'No completed backup of this instance: there is nothing to bring its files back from. It comes back when its node returns.';
    const targets = [
      ...plan.moves.map((m) => ({ instanceId: m.instanceId, to: m.to, blocked: null as string | null })),
      ...plan.leftovers.map((l) => ({
        instanceId: l.instanceId,
        to: null,
        blocked: `No other node can hold it (${l.refusal.code}: ${l.refusal.reason}). It comes back as soon as a node has room for it (the worker plans it again on each pass while its node is lost), when its node returns, or restore its latest backup into a new instance.`,
      })),
      ...movable.filter((i) => !backups.has(i.id)).map((i) => ({ instanceId: i.id, to: null, blocked: noBackup })),
    ];
    const lost = `node ${node.name} lost (down since ${lostAt.toISOString()})`;
    const base = { kind: 'failover' as const, fromNodeId: node.id, fromNodeName: node.name, lostAt };
    const created: InstanceMoveRow[] = [];
    const busy: FailoverResult['leftovers'] = [];
    for (const target of targets) {
      if (target.blocked && retry) continue;
      const backup = backups.get(target.instanceId);
      const toName = target.to ? (names.get(target.to) ?? target.to) : '';
      const rpo = backup?.completedAt
        ? {
            backupId: backup.id,
            backupAt: backup.completedAt,
            rpoSeconds: Math.max(0, Math.round((lostAt.getTime() - backup.completedAt.getTime()) / 1000)),
          }
        : {};
      const row = await repo.create({
        ...base,
        toNodeId: target.to ?? '',
        toNodeName: toName,
        reason: retry ? `${lost}; planned again: node ${toName} can hold it now` : lost,
        ...rpo,
        instanceId: target.instanceId,
        ...(target.blocked ? { status: 'blocked' as const, error: target.blocked, finishedAt: new Date() } : {}),
      });
      if (!row) {
        const slug = node.instances.find((i) => i.id === target.instanceId)?.slug ?? '';
        busy.push({ instanceId: target.instanceId, slug, code: 'busy', reason: 'The instance is being moved already.' });
        continue;
      }
      if (row.status === 'blocked') {
        // The instance's history says why it did not come back.
        const instanceRepo = new InstancesRepository(this.db);
        const now = await instanceRepo.findById(row.instanceId);
        if (now) await instanceRepo.transition(now.id, [now.status], now.status, { actorId: null, reason: failoverText(row) });
      } else await enqueueMoveJob(this.queues, row);
      created.push(row);
    }
    return { created, busy };
  }

  /**
   * The nodes as placement sees them, each with the room that moves under way (queued or running) to it hold: their
   * instance counts where it was until it runs there, and a later plan must not give that room away again.
   */
  private async withLiveMoves(nodes: NodeView[]): Promise<SwarmNode[]> {
    const placeable = nodes.map(toSwarmNode);
    const where = new Map(nodes.flatMap((n) => n.instances.map((i) => [i.id, { nodeId: n.id, instance: i }] as const)));
    for (const move of await new InstanceMovesRepository(this.db).live()) {
      const from = where.get(move.instanceId);
      const to = placeable.find((n) => n.id === move.toNodeId);
      if (!from || !to || from.nodeId === to.id || !HOLDING.has(from.instance.status)) continue;
      to.reserved.memoryMb += from.instance.limits.memoryMb;
      to.reserved.cpuMillis += from.instance.limits.cpuMillis;
      to.instanceCount++;
    }
    return placeable;
  }

  private moveViews(rows: InstanceMoveRow[]) {
    return moveViews(this.db, rows);
  }

  private placed() {
    return placedInstances(this.db, this.runtime, this.config.resourcePrefix);
  }
}
