import { and, count, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { instanceMoves } from './instance-moves.tables.js';
import { instances } from './instances.tables.js';

export type InstanceMoveRow = typeof instanceMoves.$inferSelect;

export class InstanceMovesRepository {
  constructor(private readonly db: DbOrTx) {}

  /** A new queued move, or null when the instance has one queued or running already (one at a time). */
  async create(values: typeof instanceMoves.$inferInsert): Promise<InstanceMoveRow | null> {
    const [row] = await this.db.insert(instanceMoves).values(values).onConflictDoNothing().returning();
    return row ?? null;
  }

  async find(id: string): Promise<InstanceMoveRow | null> {
    const [row] = await this.db.select().from(instanceMoves).where(eq(instanceMoves.id, id));
    return row ?? null;
  }

  async update(id: string, values: Partial<typeof instanceMoves.$inferInsert>) {
    await this.db.update(instanceMoves).set(values).where(eq(instanceMoves.id, id));
  }

  /** Moves queued or running (the reconciler queues again those whose job was lost). */
  live() {
    return this.db
      .select()
      .from(instanceMoves)
      .where(inArray(instanceMoves.status, ['queued', 'running']));
  }

  /** The instance's move under way, if any: the instance is the move's until it ends. */
  async liveFor(instanceId: string): Promise<InstanceMoveRow | null> {
    const [row] = await this.db
      .select()
      .from(instanceMoves)
      .where(and(eq(instanceMoves.instanceId, instanceId), inArray(instanceMoves.status, ['queued', 'running'])));
    return row ?? null;
  }

  /** The latest moves, newest first (the Nodes page). */
  recent(limit: number) {
    return this.db.select().from(instanceMoves).orderBy(desc(instanceMoves.createdAt)).limit(limit);
  }

  /** The failover moves made for one loss of a node (a loss is the node and when it was lost), oldest first. */
  failoversOf(nodeId: string, lostAt: Date) {
    return this.db
      .select()
      .from(instanceMoves)
      .where(and(eq(instanceMoves.kind, 'failover'), eq(instanceMoves.fromNodeId, nodeId), eq(instanceMoves.lostAt, lostAt)))
      .orderBy(instanceMoves.createdAt);
  }

  /**
   * The failovers off these nodes that succeeded and whose stale copy (the volume left on the lost node) is not
   * removed yet. Deleted instances are left out: their volume is gone, and what is left of it on a node that was
   * away at the deletion is not a failover's to remove.
   */
  staleCopiesOn(nodeIds: string[]) {
    if (nodeIds.length === 0) return Promise.resolve([]);
    return this.db
      .select({ move: instanceMoves })
      .from(instanceMoves)
      .innerJoin(instances, eq(instances.id, instanceMoves.instanceId))
      .where(
        and(
          eq(instanceMoves.kind, 'failover'),
          eq(instanceMoves.status, 'succeeded'),
          isNull(instanceMoves.sourceRemovedAt),
          inArray(instanceMoves.fromNodeId, nodeIds),
          ne(instances.status, 'deleted'),
        ),
      )
      .orderBy(instanceMoves.createdAt)
      .then((rows) => rows.map((r) => r.move));
  }

  /** Moves off a node not finished yet. */
  async unfinishedFrom(nodeId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(instanceMoves)
      .where(and(eq(instanceMoves.fromNodeId, nodeId), inArray(instanceMoves.status, ['queued', 'running'])));
    return row?.n ?? 0;
  }

  /** Live instances recorded on a node. */
  async instancesOn(nodeId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(instances)
      .where(and(eq(instances.nodeId, nodeId), ne(instances.status, 'deleted')));
    return row?.n ?? 0;
  }
}
