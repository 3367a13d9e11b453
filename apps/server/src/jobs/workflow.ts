import { and, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import { workflowRuns } from '../instances/instances.tables.js';

/**
 * Multi-step operations as steps that can be undone (after Medusa's workflows). Which steps are done
 * is persisted after each one, so a run killed at any moment resumes where it stopped when its job
 * is picked up again; a run that cannot finish undoes, in reverse order, exactly what it did.
 * Every invoke and compensate must be idempotent: a crash can repeat either.
 */
export interface Step<C> {
  name: string;
  /** Shown to users while the step runs. */
  label: string;
  invoke(ctx: C): Promise<void>;
  compensate?(ctx: C): Promise<void>;
  /**
   * Adjacent steps with the same group run at the same time (they must not depend on each other); each is
   * recorded done as it finishes. The run's current step is then the group's first, and a failure or crash
   * inside the group compensates every step of it.
   */
  group?: string;
}

export interface Workflow<C> {
  kind: string;
  steps: Step<C>[];
  /** Runs (job executions, including resumes after a crash) before the workflow gives up and compensates. */
  maxAttempts: number;
}

/** A failure that retrying will not fix (bad image, Odoo refused to start): compensate at once. */
export class PermanentStepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentStepError';
  }
}

/** The run was cancelled (e.g. its subject is being deleted): it stops between steps, undoing nothing. */
export class WorkflowCancelled extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WorkflowCancelled';
  }
}

export interface WorkflowHooks {
  onStep?(index: number, step: { name: string; label: string }, count: number): Promise<void>;
  onCompensating?(error: string): Promise<void>;
  /**
   * Aborted when the run must stop (its subject is being deleted): no further step starts, and steps that
   * wait (for a container, for health) stop waiting. What the run made is left to whoever cancelled it.
   */
  signal?: AbortSignal;
}

export type WorkflowOutcome = { status: 'succeeded' } | { status: 'compensated'; error: string } | { status: 'cancelled'; error: string };

export class WorkflowRunner {
  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly stepPauseMs = 0,
  ) {}

  /** The live run of a workflow for a subject, or a new one. */
  private async claim(kind: string, subjectId: string): Promise<typeof workflowRuns.$inferSelect> {
    const [live] = await this.db
      .select()
      .from(workflowRuns)
      .where(
        and(eq(workflowRuns.kind, kind), eq(workflowRuns.subjectId, subjectId), inArray(workflowRuns.status, ['running', 'compensating'])),
      );
    if (live) return live;
    const [created] = await this.db.insert(workflowRuns).values({ kind, subjectId, status: 'running' }).onConflictDoNothing().returning();
    if (created) return created;
    return this.claim(kind, subjectId);
  }

  private update(id: string, values: Partial<typeof workflowRuns.$inferInsert>) {
    return this.db
      .update(workflowRuns)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(workflowRuns.id, id));
  }

  /**
   * Runs (or resumes) the workflow. Throws on a transient failure while attempts remain, so the job
   * queue retries it later; otherwise returns how it ended.
   */
  async run<C>(workflow: Workflow<C>, subjectId: string, ctx: C, hooks: WorkflowHooks = {}): Promise<WorkflowOutcome> {
    const run = await this.claim(workflow.kind, subjectId);
    const attempts = run.attempts + 1;
    await this.update(run.id, { attempts });
    const log = this.log.child({ workflow: workflow.kind, subjectId, runId: run.id, attempt: attempts });
    const done = new Set(run.doneSteps);

    if (run.status === 'running') {
      try {
        for (const [index, batch] of batches(workflow.steps).entries()) {
          const pending = batch.filter((step) => !done.has(step.name));
          const [first] = pending;
          if (!first) continue;
          if (hooks.signal?.aborted) throw new WorkflowCancelled(describe(hooks.signal.reason ?? 'cancelled'));
          await this.update(run.id, { currentStep: first.name });
          await hooks.onStep?.(index, first, batches(workflow.steps).length);
          if (this.stepPauseMs > 0) await new Promise((r) => setTimeout(r, this.stepPauseMs));
          // All of a group run to their end (settled) before a failure is reported, so none is left running.
          const results = await Promise.allSettled(
            pending.map(async (step) => {
              log.info({ step: step.name }, 'step started');
              await step.invoke(ctx);
              done.add(step.name);
              // Appending in SQL keeps the record right even if two runners ever raced.
              await this.db
                .update(workflowRuns)
                .set({ doneSteps: sql`${workflowRuns.doneSteps} || ${JSON.stringify([step.name])}::jsonb`, updatedAt: new Date() })
                .where(eq(workflowRuns.id, run.id));
            }),
          );
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
        await this.update(run.id, { status: 'succeeded', currentStep: null, finishedAt: new Date(), error: null });
        log.info('workflow succeeded');
        return { status: 'succeeded' };
      } catch (err) {
        const message = describe(err);
        if (err instanceof WorkflowCancelled || hooks.signal?.aborted) {
          const reason = describe(hooks.signal?.reason ?? message);
          await this.update(run.id, { status: 'cancelled', currentStep: null, finishedAt: new Date(), error: reason });
          log.info({ reason }, 'workflow cancelled');
          return { status: 'cancelled', error: reason };
        }
        const permanent = err instanceof PermanentStepError;
        log.warn({ err: message, permanent }, 'step failed');
        if (!permanent && attempts < workflow.maxAttempts) {
          await this.update(run.id, { error: message });
          throw err;
        }
        await this.update(run.id, { status: 'compensating', error: message });
      }
    }

    // Compensation: undo done steps and the one that failed (it may have half-happened), last first.
    const [current] = await this.db.select().from(workflowRuns).where(eq(workflowRuns.id, run.id));
    const error = current?.error ?? 'unknown error';
    await hooks.onCompensating?.(error);
    const currentBatch = batches(workflow.steps).find((batch) => batch.some((s) => s.name === current?.currentStep)) ?? [];
    const toUndo = workflow.steps.filter((s) => done.has(s.name) || currentBatch.includes(s)).reverse();
    for (const step of toUndo) {
      if (!step.compensate) continue;
      log.info({ step: step.name }, 'compensating step');
      await step.compensate(ctx); // a failure here leaves the run 'compensating': the job retries it
    }
    await this.update(run.id, { status: 'compensated', finishedAt: new Date(), currentStep: null });
    log.info('workflow compensated');
    return { status: 'compensated', error };
  }
}

/** The steps as they run: one at a time, except adjacent steps of one group, which run together. */
export function batches<C>(steps: Step<C>[]): Step<C>[][] {
  const out: Step<C>[][] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (step.group && last?.[0]?.group === step.group) last.push(step);
    else out.push([step]);
  }
  return out;
}

/**
 * Marks the live run of a workflow for a subject cancelled, for a caller that supersedes it (deletion
 * after a provisioning that was interrupted for good); a run still executing stops through its signal.
 */
export async function cancelLiveRun(db: Db, kind: string, subjectId: string, reason: string) {
  await db
    .update(workflowRuns)
    .set({ status: 'cancelled', error: reason, currentStep: null, finishedAt: new Date(), updatedAt: new Date() })
    .where(
      and(eq(workflowRuns.kind, kind), eq(workflowRuns.subjectId, subjectId), inArray(workflowRuns.status, ['running', 'compensating'])),
    );
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
