import { and, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.js';
import { workflowRuns } from '../instances/instances.tables.js';

export type WorkflowRun = typeof workflowRuns.$inferSelect;
export type RunStatus = WorkflowRun['status'];

export const LIVE: RunStatus[] = ['running', 'compensating'];

/** What a claim found: a run to execute, a run that already ended, or a run someone else executes now. */
export type Claim = { kind: 'run'; run: WorkflowRun } | { kind: 'finished'; run: WorkflowRun } | { kind: 'busy' };

export interface ClaimRequest {
  kind: string;
  subjectId: string;
  version: number;
  owner: string;
  leaseMs: number;
  /** A finished run that did not succeed is followed by a new one (an operation asked for again). */
  startOverAfterFailure: boolean;
  /** Kinds whose live run on the subject the new run cancels. */
  supersedes: string[];
}

/** The queries of the workflow engine; nothing else writes `workflow_runs`. */
export class WorkflowRunsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Finds the latest run of an operation on a subject and leases it to `owner`, or starts one. One
   * transaction, the latest row locked: two claimers at once see the same run, and only one holds its lease.
   */
  claim(req: ClaimRequest): Promise<Claim | 'raced'> {
    return this.db.transaction(async (tx) => {
      const [latest] = await tx
        .select()
        .from(workflowRuns)
        .where(and(eq(workflowRuns.kind, req.kind), eq(workflowRuns.subjectId, req.subjectId)))
        .orderBy(desc(workflowRuns.startedAt), desc(workflowRuns.id))
        .limit(1)
        .for('update');
      const lease = { leaseOwner: req.owner, leaseUntil: new Date(Date.now() + req.leaseMs) };
      if (!latest || (!LIVE.includes(latest.status) && req.startOverAfterFailure && latest.status !== 'succeeded')) {
        if (req.supersedes.length) await this.cancelLive(tx, req.supersedes, req.subjectId, `superseded by ${req.kind}`);
        const [created] = await tx
          .insert(workflowRuns)
          .values({ kind: req.kind, subjectId: req.subjectId, version: req.version, status: 'running', attempts: 1, ...lease })
          .onConflictDoNothing()
          .returning();
        // Another claimer created it first (the live-run key): read again.
        return created ? { kind: 'run' as const, run: created } : 'raced';
      }
      if (!LIVE.includes(latest.status)) return { kind: 'finished' as const, run: latest };
      const held = latest.leaseOwner && latest.leaseOwner !== req.owner && latest.leaseUntil && latest.leaseUntil > new Date();
      if (held) return { kind: 'busy' as const };
      const [run] = await tx
        .update(workflowRuns)
        .set({ ...lease, attempts: sql`${workflowRuns.attempts} + 1`, updatedAt: new Date() })
        .where(eq(workflowRuns.id, latest.id))
        .returning();
      if (!run) throw new Error(`workflow run ${latest.id} vanished while claimed`);
      return { kind: 'run' as const, run };
    });
  }

  async get(id: string) {
    const [run] = await this.db.select().from(workflowRuns).where(eq(workflowRuns.id, id));
    return run;
  }

  /** Extends the lease while the run executes; false when it is no longer this owner's. */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.db
      .update(workflowRuns)
      .set({ leaseUntil: new Date(Date.now() + leaseMs) })
      .where(and(eq(workflowRuns.id, id), eq(workflowRuns.leaseOwner, owner)))
      .returning({ id: workflowRuns.id });
    return rows.length > 0;
  }

  /**
   * Changes a live run (never one that ended, e.g. superseded meanwhile); with `owner`, only while that
   * executor still holds the lease (never one another executor took over).
   */
  async updateLive(id: string, values: Partial<typeof workflowRuns.$inferInsert>, tx: DbOrTx = this.db, owner?: string): Promise<boolean> {
    const rows = await tx
      .update(workflowRuns)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(workflowRuns.id, id), inArray(workflowRuns.status, LIVE), owner ? eq(workflowRuns.leaseOwner, owner) : undefined))
      .returning({ id: workflowRuns.id });
    return rows.length > 0;
  }

  /** Records a step done; appending in SQL keeps the record right when a group's steps finish together. */
  async addDone(id: string, step: string) {
    await this.db
      .update(workflowRuns)
      .set({ doneSteps: sql`${workflowRuns.doneSteps} || ${JSON.stringify([step])}::jsonb`, updatedAt: new Date() })
      .where(eq(workflowRuns.id, id));
  }

  /** Gives the lease up (the run pauses until its job retries), so the retry need not wait for it to expire. */
  async release(id: string, owner: string) {
    await this.db
      .update(workflowRuns)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(workflowRuns.id, id), or(eq(workflowRuns.leaseOwner, owner), isNull(workflowRuns.leaseOwner))));
  }

  /** Ends the live runs of these kinds on a subject (an operation that supersedes them has started). */
  async cancelLive(tx: DbOrTx, kinds: string[], subjectId: string, reason: string) {
    await tx
      .update(workflowRuns)
      .set({ status: 'cancelled', error: reason, currentStep: null, finishedAt: new Date(), updatedAt: new Date(), leaseOwner: null })
      .where(and(inArray(workflowRuns.kind, kinds), eq(workflowRuns.subjectId, subjectId), inArray(workflowRuns.status, LIVE)));
  }
}
