import { and, desc, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { AuditRepository } from '../audit/audit.repo.js';
import { auditLog } from '../audit/audit.tables.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { InstanceMovesRepository } from '../instances/instance-moves.repo.js';
import { instanceNames } from '../instances/instance-names.js';
import type { Queues } from '../jobs/queues.js';
import type { InstanceRuntime, RuntimeNode } from '../runtime/instance-runtime.js';
import { type FailoverResult, NodesService } from './nodes.service.js';

export const NODE_LOST_ACTION = 'system.node_lost';

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
  /** A node this process saw lost is back: the stale copies of the volumes that failed over are removed from it. */
  | { kind: 'returned'; nodeId: string; nodeName: string; removed: number; failed: string[] };

/**
 * The worker's watch over the swarm's nodes (run by the reconciler on each of its passes): a node lost (see
 * `lostNodes`) is recorded once per loss — the audit entry `system.node_lost` with the failover it started — and
 * its instances fail over (`NodesService.failover`). A pass that crashed half-way is completed by the next one:
 * the failover skips the instances it handled already, and the audit entry is written last.
 */
export class NodeLossWatch {
  private readonly seenDown = new Map<string, number>();
  /** Nodes this process saw lost: when one is ready again, its stale volume copies are removed. */
  private readonly lost = new Set<string>();

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
    const { db, runtime, config, queues, log } = this.deps;
    const nodes = await runtime.listNodes();
    // One engine is one machine: nothing to fail over to.
    if (nodes.length < 2) return [];
    const findings: NodeLossFinding[] = [];
    for (const node of nodes) {
      if (node.state === 'ready' && this.lost.has(node.id)) findings.push(await this.removeStaleCopies(node));
    }
    for (const { node, lostAt } of lostNodes(nodes, now, config.nodeLostGraceSeconds * 1000, this.seenDown)) {
      this.lost.add(node.id);
      if (await this.recorded(node.id, lostAt)) continue;
      const result = await new NodesService(db, runtime, config, queues).failover(node.id, lostAt);
      await this.record(node, lostAt, result);
      const blocked = result.moves.filter((m) => m.status === 'blocked').length;
      log.warn(
        { node: node.name, lostAt: lostAt.toISOString(), moves: result.moves.length, blocked },
        'node lost: its instances fail over',
      );
      findings.push({
        kind: 'lost',
        nodeId: node.id,
        nodeName: node.name,
        lostAt: result.lostAt,
        moves: result.moves.length - blocked,
        blocked,
      });
    }
    return findings;
  }

  /**
   * A lost node back: the copies of its instances' volumes that failed over elsewhere are stale (the new copy,
   * labelled as moved from it, is the volume); each is removed with the ended containers that mount it. Only what
   * this process saw lost (a worker restarted in between leaves them: docs/deploy.md says how to remove them).
   */
  private async removeStaleCopies(node: RuntimeNode): Promise<NodeLossFinding> {
    const { db, runtime, config, log } = this.deps;
    const moves = await new InstanceMovesRepository(db).succeededFailoversFrom(node.id);
    let removed = 0;
    const failed: string[] = [];
    for (const move of moves) {
      const volume = instanceNames(config.resourcePrefix, move.instanceId).volume;
      try {
        if ((await runtime.volumeNode(volume)) === node.id) continue; // never the volume itself
        await runtime.removeVolumeCopy(volume, node.id);
        removed++;
      } catch (err) {
        failed.push(`${volume}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Tried again on the next pass while something failed (the node's engine still starting, a container still up).
    if (failed.length === 0) this.lost.delete(node.id);
    log.info({ node: node.name, removed, failed }, 'lost node back: stale volume copies removed');
    return { kind: 'returned', nodeId: node.id, nodeName: node.name, removed, failed };
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

  private async record(node: RuntimeNode, lostAt: Date, result: FailoverResult) {
    await new AuditRepository(this.deps.db).record({
      actorId: null,
      actorEmail: null,
      tenantId: null,
      action: NODE_LOST_ACTION,
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
