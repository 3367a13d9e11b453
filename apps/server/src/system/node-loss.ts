import { and, desc, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { AuditRepository } from '../audit/audit.repo.js';
import { auditLog } from '../audit/audit.tables.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { InstanceMovesRepository } from '../instances/instance-moves.repo.js';
import { instanceNames } from '../instances/instance-names.js';
import type { Queues } from '../jobs/queues.js';
import type { InstanceRuntime, RuntimeNode } from '../runtime/instance-runtime.js';
import { type FailoverResult, NodesService } from './nodes.service.js';

export const NODE_LOST_ACTION = 'system.node_lost';
/** A later pass over a node still lost queued failovers that were blocked (a node has room for them now). */
export const NODE_FAILOVER_RETRIED_ACTION = 'system.node_failover_retried';

export interface LostNode {
  node: RuntimeNode;
  /** When it went down: Swarm's record of the change, else when this process first saw it down. */
  lostAt: Date;
}

/**
 * The rule: a swarm node down for longer than the grace period is lost. A node back to ready is forgotten.
 * `seenDown` remembers, per node, when this process first saw it down (for a node whose record gives no time);
 * it is the only state, and only this function changes it.
 */
export function lostNodes(nodes: readonly RuntimeNode[], now: number, graceMs: number, seenDown: Map<string, number>): LostNode[] {
  const lost: LostNode[] = [];
  for (const node of nodes) {
    if (node.state !== 'down' || node.role === 'standalone') {
      seenDown.delete(node.id);
      continue;
    }
    const recorded = node.downSince ? Date.parse(node.downSince) : Number.NaN;
    if (!seenDown.has(node.id)) seenDown.set(node.id, now);
    const since = Number.isNaN(recorded) ? (seenDown.get(node.id) ?? now) : recorded;
    if (now - since > graceMs) lost.push({ node, lostAt: new Date(since) });
  }
  return lost;
}

export type NodeLossFinding =
  | { kind: 'lost'; nodeId: string; nodeName: string; lostAt: string; moves: number; blocked: number }
  /** A later pass over a node still lost: blocked failovers that can come back now (a node has room) are queued. */
  | { kind: 'retried'; nodeId: string; nodeName: string; lostAt: string; moves: number }
  /** A node that was lost is back: the stale copies of the volumes that failed over are removed from it. */
  | { kind: 'returned'; nodeId: string; nodeName: string; removed: number; failed: string[] };

/**
 * The worker's watch over the swarm's nodes (run by the reconciler on each of its passes). A node lost (see
 * `lostNodes`) is recorded once per loss — the audit entry `system.node_lost` with the failover it started — and
 * its instances fail over (`NodesService.failover`). On each later pass while it stays lost, its blocked failovers
 * are planned again (`NodesService.retryBlockedFailovers`): one that a node can now hold is queued, and recorded
 * (`system.node_failover_retried`). A node ready again gets the stale copies of its failed-over volumes removed.
 *
 * Every decision is read from the database, not from this process's memory, so a restarted worker or the other
 * replica carries on where the last pass stopped: a pass that crashed half-way is completed by the next one (the
 * failover skips the instances it handled already, the audit entry is written last, and a stale copy is marked
 * removed only once it is). Two workers' passes over the same node take turns (an advisory lock per node): the
 * second finds the work done.
 */
export class NodeLossWatch {
  private readonly seenDown = new Map<string, number>();

  constructor(
    private readonly deps: {
      db: Db;
      runtime: InstanceRuntime;
      config: Pick<Config, 'resourcePrefix' | 'nodeLostGraceSeconds'>;
      queues: Queues;
      log: FastifyBaseLogger;
    },
  ) {}

  async check(now = Date.now()): Promise<NodeLossFinding[]> {
    const { db, runtime, config } = this.deps;
    const nodes = await runtime.listNodes();
    // One engine is one machine: nothing to fail over to.
    if (nodes.length < 2) return [];
    const findings: NodeLossFinding[] = [];
    const ready = nodes.filter((n) => n.state === 'ready');
    const stale = new Set((await new InstanceMovesRepository(db).staleCopiesOn(ready.map((n) => n.id))).map((m) => m.fromNodeId));
    for (const node of ready) {
      if (stale.has(node.id)) findings.push(...(await this.oneAtATime(node.id, () => this.removeStaleCopies(node))));
    }
    for (const { node, lostAt } of lostNodes(nodes, now, config.nodeLostGraceSeconds * 1000, this.seenDown)) {
      findings.push(...(await this.oneAtATime(node.id, () => this.failOver(node, lostAt))));
    }
    return findings;
  }

  /** Work on one node, one worker process at a time: the lock is held by a transaction of its own meanwhile. */
  private oneAtATime<T>(nodeId: string, work: () => Promise<T>): Promise<T> {
    return this.deps.db.transaction(async (lock) => {
      await lockForTransaction(lock, `node-loss:${nodeId}`);
      return work();
    });
  }

  /** The loss's failover the first time it is seen; on later passes, its blocked failovers planned again. */
  private async failOver(node: RuntimeNode, lostAt: Date): Promise<NodeLossFinding[]> {
    const { db, runtime, config, queues, log } = this.deps;
    const nodes = new NodesService(db, runtime, config, queues);
    if (await this.recorded(node.id, lostAt)) {
      const retried = await nodes.retryBlockedFailovers(node.id, lostAt);
      if (retried.moves.length === 0) return [];
      await this.record(NODE_FAILOVER_RETRIED_ACTION, node, lostAt, retried);
      log.warn({ node: node.name, lostAt: lostAt.toISOString(), moves: retried.moves.length }, 'lost node: blocked failovers queued');
      return [{ kind: 'retried', nodeId: node.id, nodeName: node.name, lostAt: retried.lostAt, moves: retried.moves.length }];
    }
    const result = await nodes.failover(node.id, lostAt);
    await this.record(NODE_LOST_ACTION, node, lostAt, result);
    const blocked = result.moves.filter((m) => m.status === 'blocked').length;
    log.warn({ node: node.name, lostAt: lostAt.toISOString(), moves: result.moves.length, blocked }, 'node lost: its instances fail over');
    return [
      {
        kind: 'lost',
        nodeId: node.id,
        nodeName: node.name,
        lostAt: result.lostAt,
        moves: result.moves.length - blocked,
        blocked,
      },
    ];
  }

  /**
   * A lost node back: the copies of its instances' volumes that failed over elsewhere are stale (the new copy,
   * labelled as moved from it, is the volume); each is removed with the ended containers that mount it, and its
   * failover marked (`source_removed_at`). What fails (the node's engine still starting, a container still up) is
   * tried again on the next pass, by whichever worker runs it.
   */
  private async removeStaleCopies(node: RuntimeNode): Promise<NodeLossFinding[]> {
    const { db, runtime, config, log } = this.deps;
    const repo = new InstanceMovesRepository(db);
    // Read again under the lock: another worker may have just removed them.
    const moves = await repo.staleCopiesOn([node.id]);
    if (moves.length === 0) return [];
    let removed = 0;
    const failed: string[] = [];
    for (const move of moves) {
      const volume = instanceNames(config.resourcePrefix, move.instanceId).volume;
      try {
        // Never the volume itself (moved back here since): nothing stale is left then.
        if ((await runtime.volumeNode(volume)) !== node.id) {
          await runtime.removeVolumeCopy(volume, node.id);
          removed++;
        }
        await repo.update(move.id, { sourceRemovedAt: new Date() });
      } catch (err) {
        failed.push(`${volume}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    log.info({ node: node.name, removed, failed }, 'lost node back: stale volume copies removed');
    return [{ kind: 'returned', nodeId: node.id, nodeName: node.name, removed, failed }];
  }

  /** This loss (the node, and when it went down) is in the audit trail already. */
  private async recorded(nodeId: string, lostAt: Date): Promise<boolean> {
    const [row] = await this.deps.db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.action, NODE_LOST_ACTION),
          eq(auditLog.targetId, nodeId),
          sql`${auditLog.details}->>'lostAt' = ${lostAt.toISOString()}`,
        ),
      )
      .orderBy(desc(auditLog.at))
      .limit(1);
    return row !== undefined;
  }

  private async record(action: string, node: RuntimeNode, lostAt: Date, result: FailoverResult) {
    await new AuditRepository(this.deps.db).record({
      actorId: null,
      actorEmail: null,
      tenantId: null,
      action,
      targetType: 'node',
      targetId: node.id,
      ip: null,
      result: 'success',
      requestId: null,
      details: {
        nodeName: node.name,
        lostAt: lostAt.toISOString(),
        graceSeconds: this.deps.config.nodeLostGraceSeconds,
        moves: result.moves.map((m) => ({
          moveId: m.id,
          instanceId: m.instanceId,
          slug: m.slug,
          to: m.toNodeName || null,
          status: m.status,
          backupId: m.backupId,
          rpoSeconds: m.rpoSeconds,
          error: m.error,
        })),
        leftovers: result.leftovers,
      },
    });
  }
}
