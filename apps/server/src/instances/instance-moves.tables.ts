import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../auth/auth.tables.js';
import { backups } from '../backups/backups.tables.js';
import { instances } from './instances.tables.js';

export const MOVE_KINDS = ['drain', 'failover'] as const;
/**
 * `blocked`: a failover that cannot run (no completed backup to bring the instance back from, or no node with room);
 * nothing was done. While its node stays lost, the node-loss watch plans it again on each pass (system/node-loss.ts).
 */
export const MOVE_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'blocked'] as const;

/**
 * An instance moved to another node: with its data from a node being drained, or from its latest backup when its
 * node was lost (failover; the RPO is the time between that backup and the loss). The move workflow's subject.
 */
export const instanceMoves = pgTable(
  'instance_moves',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: MOVE_KINDS }).notNull(),
    /** Swarm node ids, and their hostnames as they were (a lost node may leave the swarm). */
    fromNodeId: text('from_node_id').notNull(),
    fromNodeName: text('from_node_name').notNull(),
    toNodeId: text('to_node_id').notNull(),
    toNodeName: text('to_node_name').notNull(),
    status: text('status', { enum: MOVE_STATUSES }).notNull().default('queued'),
    /** The operator's reason (drain), or what the platform saw (failover). */
    reason: text('reason').notNull(),
    error: text('error'),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    /** Failover: the backup restored, when it was taken, when the node was lost, and the data lost between (seconds). */
    backupId: uuid('backup_id').references(() => backups.id, { onDelete: 'set null' }),
    backupAt: timestamp('backup_at', { withTimezone: true }),
    lostAt: timestamp('lost_at', { withTimezone: true }),
    rpoSeconds: integer('rpo_seconds'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /**
     * A succeeded failover: when the stale copy of the volume on the node it left was removed (or found gone), once
     * that node was ready again. Null while it may still be there: any worker's reconciler pass tries again.
     */
    sourceRemovedAt: timestamp('source_removed_at', { withTimezone: true }),
  },
  (t) => [
    index('instance_moves_instance_idx').on(t.instanceId, t.createdAt),
    index('instance_moves_from_idx').on(t.fromNodeId, t.createdAt),
    // One move at a time per instance.
    uniqueIndex('instance_moves_live_key').on(t.instanceId).where(sql`${t.status} in ('queued', 'running')`),
    // The stale copies still to remove (read on every reconciler pass).
    index('instance_moves_stale_copies_idx')
      .on(t.fromNodeId)
      .where(sql`${t.kind} = 'failover' and ${t.status} = 'succeeded' and ${t.sourceRemovedAt} is null`),
  ],
);
