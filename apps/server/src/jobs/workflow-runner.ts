import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import { OPERATION_ATTEMPTS } from './retry-budget.js';
import {
  batches,
  describe,
  PermanentStepError,
  resolveDone,
  stepNamed,
  type Workflow,
  WorkflowBusy,
  WorkflowCancelled,
  type WorkflowHooks,
  WorkflowLeaseLost,
  type WorkflowOutcome,
} from './workflow.js';
import { type WorkflowRun, WorkflowRunsRepository } from './workflow-runs.repo.js';

export interface RunnerOptions {
  /** A pause before each step (crash tests use it to land a kill inside a chosen step). */
  stepPauseMs?: number;
  /** Executions of a run before it compensates (the one retry budget by default; tests lower it). */
  maxAttempts?: number;
  /** How long a run's lease lasts without renewal: how soon another executor may take over after a crash. */
  leaseMs?: number;
}

const BUSY_POLL_MS = 250;

function outcomeOf(run: WorkflowRun): WorkflowOutcome {
  const error = run.error ?? 'unknown error';
  switch (run.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'compensated':
    case 'failed':
    case 'cancelled':
      return { status: run.status, error };
    default:
      throw new Error(`workflow run ${run.id} is still ${run.status}`);
  }
}

export class WorkflowRunner {
  private readonly repo: WorkflowRunsRepository;
  private readonly stepPauseMs: number;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    options: RunnerOptions = {},
  ) {
    this.repo = new WorkflowRunsRepository(db);
    this.stepPauseMs = options.stepPauseMs ?? 0;
    this.maxAttempts = options.maxAttempts ?? OPERATION_ATTEMPTS;
    this.leaseMs = options.leaseMs ?? 10_000;
  }

  /**
   * The latest run of the workflow for the subject, leased to this execution: a live one is resumed, a
   * finished one is returned as it is, none (or, for workflows that start over, a failed one) starts a new
   * run. While another executor holds the lease, waits up to two lease periods for it to finish or expire.
   */
  private async claim<C>(workflow: Workflow<C>, subjectId: string, owner: string) {
    const deadline = Date.now() + 2 * this.leaseMs;
    for (;;) {
      const claim = await this.repo.claim({
        kind: workflow.kind,
        subjectId,
        version: workflow.version,
        owner,
        leaseMs: this.leaseMs,
        startOverAfterFailure: workflow.startOverAfterFailure ?? false,
        supersedes: workflow.supersedes ?? [],
      });
      if (claim === 'raced') continue;
      if (claim.kind !== 'busy') return claim;
      if (Date.now() > deadline) throw new WorkflowBusy(workflow.kind, subjectId);
      await new Promise((r) => setTimeout(r, BUSY_POLL_MS));
    }
  }

  /**
   * Runs (or resumes) the workflow. Throws on a transient failure while attempts remain, so the job
   * queue retries it later; otherwise returns how it ended.
   */
  async run<C>(workflow: Workflow<C>, subjectId: string, ctx: C, hooks: WorkflowHooks = {}): Promise<WorkflowOutcome> {
    const owner = randomUUID();
    const claim = await this.claim(workflow, subjectId, owner);
    if (claim.kind === 'finished') {
      // Already ended (e.g. the job ran again after a crash): report the outcome, never run the steps again.
      const outcome = outcomeOf(claim.run);
      await this.db.transaction(async (tx) => hooks.finish?.(tx, outcome));
      return outcome;
    }
    const { run } = claim;
    // A renewal that finds another owner means this executor was taken for dead (its renewals failed for a
    // whole lease, e.g. while PostgreSQL was away): it stops at its next step and leaves the run alone.
    const lease = { lost: false };
    const renewal = setInterval(() => {
      this.repo
        .renewLease(run.id, owner, this.leaseMs)
        .then((held) => {
          if (!held) lease.lost = true;
        })
        .catch(() => undefined); // a blip: the next tick renews
    }, this.leaseMs / 3);
    renewal.unref();
    try {
      return await this.execute(workflow, run, { owner, lease }, ctx, hooks);
    } finally {
      clearInterval(renewal);
    }
  }

  private async execute<C>(
    workflow: Workflow<C>,
    run: WorkflowRun,
    executor: { owner: string; lease: { lost: boolean } },
    ctx: C,
    hooks: WorkflowHooks,
  ): Promise<WorkflowOutcome> {
    const { owner } = executor;
    const stopIfTakenOver = () => {
      if (executor.lease.lost) throw new WorkflowLeaseLost(workflow.kind, run.subjectId);
    };
    const attempts = run.attempts;
    const log = this.log.child({ workflow: workflow.kind, subjectId: run.subjectId, runId: run.id, attempt: attempts });
    const { done, unknown } = resolveDone(workflow, run.doneSteps);
    let error = run.error ?? 'unknown error';
    let currentStep = run.currentStep;
    let status = run.status;
    if (unknown.length && status === 'running') {
      // Steps finished under names no version of the workflow answers to: continuing could repeat or skip work.
      error = `the ${workflow.kind} workflow changed (version ${run.version} to ${workflow.version}) during this run; its steps ${unknown.join(', ')} are no longer known and were not undone`;
      status = 'compensating';
      await this.repo.updateLive(run.id, { status, error }, undefined, owner);
    }

    if (status === 'running') {
      try {
        const all = batches(workflow.steps);
        for (const [index, batch] of all.entries()) {
          const pending = batch.filter((step) => !done.has(step));
          const [first] = pending;
          if (!first) continue;
          stopIfTakenOver();
          if (hooks.signal?.aborted) throw new WorkflowCancelled(describe(hooks.signal.reason ?? 'cancelled'));
          currentStep = first.name;
          await this.repo.updateLive(run.id, { currentStep }, undefined, owner);
          await hooks.onStep?.(index, first, all.length);
          if (this.stepPauseMs > 0) await new Promise((r) => setTimeout(r, this.stepPauseMs));
          // All of a group run to their end (settled) before a failure is reported, so none is left running.
          const results = await Promise.allSettled(
            pending.map(async (step) => {
              log.info({ step: step.name }, 'step started');
              await step.invoke(ctx);
              done.add(step);
              await this.repo.addDone(run.id, step.name);
            }),
          );
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
        stopIfTakenOver();
        log.info('workflow succeeded');
        return await this.finish(run, owner, { status: 'succeeded' }, hooks);
      } catch (err) {
        if (err instanceof WorkflowLeaseLost || executor.lease.lost) {
          log.warn('lease taken over by another executor: stopping');
          throw new WorkflowLeaseLost(workflow.kind, run.subjectId);
        }
        if (err instanceof WorkflowCancelled || hooks.signal?.aborted) {
          const reason = describe(hooks.signal?.reason ?? err);
          log.info({ reason }, 'workflow cancelled');
          return await this.finish(run, owner, { status: 'cancelled', error: reason }, hooks);
        }
        error = describe(err);
        const permanent = err instanceof PermanentStepError;
        log.warn({ err: error, permanent }, 'step failed');
        if (!permanent && attempts < this.maxAttempts) {
          await this.repo.updateLive(run.id, { error }, undefined, owner);
          await this.repo.release(run.id, owner);
          throw err;
        }
        await this.repo.updateLive(run.id, { status: 'compensating', error }, undefined, owner);
      }
    }

    // Compensation: undo done steps and those of the batch that failed (they may have half-happened), last first.
    await hooks.onCompensating?.(error);
    const current = stepNamed(workflow, currentStep);
    const currentBatch = batches(workflow.steps).find((batch) => current && batch.includes(current)) ?? [];
    const toUndo = workflow.steps.filter((s) => done.has(s) || currentBatch.includes(s)).reverse();
    const failures: string[] = [];
    for (const step of toUndo) {
      if (!step.compensate) continue;
      stopIfTakenOver();
      log.info({ step: step.name }, 'compensating step');
      // One compensation that throws does not keep the others from running; all are idempotent, so a retry repeats them.
      await step.compensate(ctx).catch((err: unknown) => failures.push(`${step.name}: ${describe(err)}`));
    }
    if (failures.length) {
      log.warn({ failures }, 'compensation failed');
      if (attempts < this.maxAttempts) {
        await this.repo.release(run.id, owner);
        throw new Error(`undoing ${workflow.kind} failed: ${failures.join('; ')}`);
      }
      return this.finish(run, owner, { status: 'failed', error: `${error}\nUndoing did not finish: ${failures.join('; ')}` }, hooks);
    }
    if (unknown.length) return this.finish(run, owner, { status: 'failed', error }, hooks);
    log.info('workflow compensated');
    return this.finish(run, owner, { status: 'compensated', error }, hooks);
  }

  /**
   * Writes the run's final status and, in the same transaction, the subject's (the `finish` hook). A run
   * superseded meanwhile keeps the status its superseder gave it, and its subject is left to that operation;
   * a run another executor took over meanwhile is left to that executor.
   */
  private async finish(run: WorkflowRun, owner: string, outcome: WorkflowOutcome, hooks: WorkflowHooks): Promise<WorkflowOutcome> {
    const ended = await this.db.transaction(async (tx) => {
      const error = outcome.status === 'succeeded' ? null : outcome.error;
      const values = { status: outcome.status, currentStep: null, finishedAt: new Date(), error, leaseOwner: null, leaseUntil: null };
      if (!(await this.repo.updateLive(run.id, values, tx, owner))) return false;
      await hooks.finish?.(tx, outcome);
      return true;
    });
    if (ended) return outcome;
    const row = await this.repo.get(run.id);
    if (row && (row.status === 'running' || row.status === 'compensating')) throw new WorkflowLeaseLost(run.kind, run.subjectId);
    return row ? outcomeOf(row) : outcome;
  }
}
