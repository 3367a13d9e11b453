import { inArray, ne } from 'drizzle-orm';
import type { z } from 'zod';
import { BackupsRepository } from '../backups/backups.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, notFound, unavailable } from '../errors/domain-error.js';
import { enqueueMoveJob } from '../instances/instance-jobs.js';
import { failoverText } from '../instances/instance-moves.js';
import { type InstanceMoveRow, InstanceMovesRepository } from '../instances/instance-moves.repo.js';
import { LABELS } from '../instances/instance-names.js';
import { type InstanceStatus, InstancesRepository } from '../instances/instances.repo.js';
import { instances } from '../instances/instances.tables.js';
import type { Queues } from '../jobs/queues.js';
import { type InstanceRuntime, RuntimeError, type RuntimeNode } from '../runtime/instance-runtime.js';
import { type PlacedInstance, planDrain, planFailover, type SwarmNode } from '../runtime/swarm/placement.js';
import type { drainResultSchema, instanceMoveSchema } from './system-admin.schemas.js';

/** Instance statuses whose container holds its plan's memory and CPU on its node. */
const HOLDING = new Set<InstanceStatus>(['provisioning', 'running', 'deleting']);

export interface NodeInstance {
  id: string;
  slug: string;
  name: string;
  tenantId: string;
  status: InstanceStatus;
  limits: { memoryMb: number; cpuMillis: number };
}

export type MoveView = z.infer<typeof instanceMoveSchema>;
export type DrainResult = z.infer<typeof drainResultSchema>;

/** What a node's loss started: a failover move per instance (queued, or blocked with the reason), and the instances left. */
export interface FailoverResult {
  nodeId: string;
  lostAt: string;
  moves: MoveView[];
  leftovers: DrainResult['leftovers'];
}

export interface NodeView extends RuntimeNode {
  downSince: string | null;
  /** What the plans of the instances holding resources here add up to. */
  allocated: { memoryMb: number; cpuMillis: number };
  instances: NodeInstance[];
}

/**
 * The operators' view of the machines instances run on: each node's capacity, what the plans of its instances
 * take of it, and the instances themselves. Where an instance runs is the runtime's answer (its container's
 * node), else the node recorded when its container last started; on a single engine every instance is on the one node.
 */
export class NodesService {
  constructor(
    private readonly db: Db,
    private readonly runtime: InstanceRuntime,
    private readonly config: Pick<Config, 'resourcePrefix'>,
    private readonly queues: Queues,
  ) {}

  async list(): Promise<{ nodes: NodeView[]; unplaced: NodeInstance[]; moves: MoveView[] }> {
    const [placed, moves] = await Promise.all([this.placed(), new InstanceMovesRepository(this.db).recent(50)]);
    return { ...placed, moves: await this.moveViews(moves) };
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
    await this.engine(() => this.runtime.setNodeAvailability(nodeId, 'pause'));

    const movable = node.instances.filter((i) => i.status === 'running' || i.status === 'stopped');
    const leftovers: DrainResult['leftovers'] = node.instances
      .filter((i) => !movable.includes(i))
      .map((i) => ({
        instanceId: i.id,
        slug: i.slug,
        code: 'busy',
        reason: `The instance is ${i.status}; drain again once it is settled.`,
      }));
    const toPlace = (n: NodeView): SwarmNode => ({
      id: n.id,
      labels: n.labels,
      availability: n.id === nodeId ? 'pause' : n.availability,
      state: n.state,
      capacity: n.capacity,
      reserved: n.allocated,
      instanceCount: n.instances.length,
    });
    const placed: PlacedInstance[] = movable.map((i) => ({ id: i.id, nodeId, reservation: i.limits }));
    const plan = planDrain(nodeId, nodes.map(toPlace), placed);
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
      await this.engine(() => this.runtime.setNodeAvailability(nodeId, 'drain'));
      availability = 'drain';
    }
    return { nodeId, availability, moves: await this.moveViews(created), leftovers };
  }

  /**
   * Brings back a lost node's instances (swarm only; the worker's node-loss check calls it once per loss): each
   * running or stopped instance on it gets a failover move to the node planFailover chose, from its latest completed
   * backup, with the data lost (RPO) recorded: the time between that backup and `lostAt`. An instance without a
   * completed backup, or that no node can hold, gets a `blocked` move with the reason instead, and nothing is done
   * to it. Asked again for the same loss, the instances that have a move for it already are skipped.
   */
  async failover(nodeId: string, lostAt: Date): Promise<FailoverResult> {
    const { nodes } = await this.placed();
    const node = nodes.find((n) => n.id === nodeId);
    if (!node) throw notFound('Node');
    const repo = new InstanceMovesRepository(this.db);
    const done = new Set((await repo.failoversOf(nodeId, lostAt)).map((m) => m.instanceId));
    const pending = node.instances.filter((i) => !done.has(i.id));
    const movable = pending.filter((i) => i.status === 'running' || i.status === 'stopped');
    const leftovers: FailoverResult['leftovers'] = pending
      .filter((i) => !movable.includes(i))
      .map((i) => ({ instanceId: i.id, slug: i.slug, code: 'busy', reason: `The instance is ${i.status}: not brought back.` }));
    const toPlace = (n: NodeView): SwarmNode => ({
      id: n.id,
      labels: n.labels,
      availability: n.availability,
      state: n.state,
      capacity: n.capacity,
      reserved: n.allocated,
      instanceCount: n.instances.length,
    });
    const plan = planFailover(
      nodeId,
      nodes.map(toPlace),
      movable.map((i) => ({ id: i.id, nodeId, reservation: i.limits })),
    );
    const names = new Map(nodes.map((n) => [n.id, n.name]));
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
    const backups = new BackupsRepository(this.db);
    const reason = `node ${node.name} lost (down since ${lostAt.toISOString()})`;
    const base = { kind: 'failover' as const, fromNodeId: nodeId, fromNodeName: node.name, reason, lostAt };
    const targets = [
      ...plan.moves.map((m) => ({ instanceId: m.instanceId, to: m.to, refusal: null as string | null })),
      ...plan.leftovers.map((l) => ({ instanceId: l.instanceId, to: null, refusal: `${l.refusal.code}: ${l.refusal.reason}` })),
    ];
    const created: InstanceMoveRow[] = [];
    for (const target of targets) {
      const backup = await backups.latestCompleted(target.instanceId, versions.get(target.instanceId) ?? '');
      const to = target.to ? { toNodeId: target.to, toNodeName: names.get(target.to) ?? target.to } : { toNodeId: '', toNodeName: '' };
      const blocked = !backup?.completedAt
        ? 'No completed backup of this instance: there is nothing to bring its files back from. It comes back when its node returns.'
        : target.refusal
          ? `No other node can hold it (${target.refusal}). It comes back when its node returns, or restore its latest backup into a new instance.`
          : null;
      const rpo = backup?.completedAt
        ? {
            backupId: backup.id,
            backupAt: backup.completedAt,
            rpoSeconds: Math.max(0, Math.round((lostAt.getTime() - backup.completedAt.getTime()) / 1000)),
          }
        : {};
      const row = await repo.create({
        ...base,
        ...to,
        ...rpo,
        instanceId: target.instanceId,
        ...(blocked ? { status: 'blocked' as const, error: blocked, finishedAt: new Date() } : {}),
      });
      if (!row) {
        const slug = node.instances.find((i) => i.id === target.instanceId)?.slug ?? '';
        leftovers.push({ instanceId: target.instanceId, slug, code: 'busy', reason: 'The instance is being moved already.' });
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
    return { nodeId, lostAt: lostAt.toISOString(), moves: await this.moveViews(created), leftovers };
  }

  private async moveViews(rows: InstanceMoveRow[]): Promise<MoveView[]> {
    const ids = [...new Set(rows.map((r) => r.instanceId))];
    const slugs = ids.length
      ? new Map(
          (await this.db.select({ id: instances.id, slug: instances.slug }).from(instances).where(inArray(instances.id, ids))).map((r) => [
            r.id,
            r.slug,
          ]),
        )
      : new Map<string, string>();
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return rows.map((r) => ({
      id: r.id,
      instanceId: r.instanceId,
      slug: slugs.get(r.instanceId) ?? null,
      kind: r.kind,
      fromNodeId: r.fromNodeId,
      fromNodeName: r.fromNodeName,
      toNodeId: r.toNodeId,
      toNodeName: r.toNodeName,
      status: r.status,
      reason: r.reason,
      error: r.error,
      backupId: r.backupId,
      backupAt: iso(r.backupAt),
      lostAt: iso(r.lostAt),
      rpoSeconds: r.rpoSeconds,
      createdAt: r.createdAt.toISOString(),
      finishedAt: iso(r.finishedAt),
    }));
  }

  private async placed(): Promise<{ nodes: NodeView[]; unplaced: NodeInstance[] }> {
    const [nodes, containers, rows] = await Promise.all([
      this.engine(() => this.runtime.listNodes()),
      this.engine(() => this.runtime.listManagedContainers({ [LABELS.platform]: this.config.resourcePrefix, [LABELS.role]: 'odoo' })),
      this.db
        .select({
          id: instances.id,
          slug: instances.slug,
          name: instances.name,
          tenantId: instances.tenantId,
          status: instances.status,
          limits: instances.limits,
          recordedNode: instances.nodeId,
        })
        .from(instances)
        .where(ne(instances.status, 'deleted'))
        .orderBy(instances.slug),
    ]);
    const single = nodes.length === 1 ? nodes[0]?.id : undefined;
    const nodeOf = new Map<string, string>();
    for (const c of containers) {
      const instanceId = c.labels[LABELS.instance];
      const nodeId = c.nodeId ?? single;
      if (instanceId && nodeId) nodeOf.set(instanceId, nodeId);
    }
    const views = new Map<string, NodeView>(
      nodes.map((n) => [
        n.id,
        { ...n, downSince: n.downSince ?? null, allocated: { memoryMb: 0, cpuMillis: 0 }, instances: [] as NodeInstance[] },
      ]),
    );
    const unplaced: NodeInstance[] = [];
    for (const { recordedNode, ...row } of rows) {
      const item: NodeInstance = { ...row, limits: { memoryMb: row.limits.memoryMb, cpuMillis: row.limits.cpuMillis } };
      // Without a container now (being recreated, or its node away), the node it last ran on.
      const view = views.get(nodeOf.get(row.id) ?? recordedNode ?? '');
      if (!view) {
        unplaced.push(item);
        continue;
      }
      view.instances.push(item);
      if (HOLDING.has(row.status)) {
        view.allocated.memoryMb += item.limits.memoryMb;
        view.allocated.cpuMillis += item.limits.cpuMillis;
      }
    }
    return { nodes: [...views.values()], unplaced };
  }

  /** The engine away is the operator's problem to see, not a 500. */
  private async engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RuntimeError) throw unavailable('engine_unavailable', `The container engine did not answer: ${error.message}`);
      throw error;
    }
  }
}
