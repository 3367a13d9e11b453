import type { DbOrTx } from '../db/client.js';

/**
 * Multi-step operations as steps that can be undone (after Medusa's workflows). Which steps are done
 * is persisted after each one, so a run killed at any moment resumes where it stopped when its job
 * is picked up again; a run that cannot finish undoes, in reverse order, exactly what it did.
 * Every invoke and compensate must be idempotent: a crash can repeat either. The runner is in
 * `workflow-runner.ts`; how it behaves is described in docs/reliability.md ("Workflow engine").
 */
export interface Step<C> {
  name: string;
  /**
   * Names this step had in earlier versions of its workflow: a run started before a rename finds its
   * finished steps under the new name instead of being stranded.
   */
  formerNames?: string[];
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
  /**
   * Raised when steps are renamed (with `formerNames`), removed, added or reordered. Recorded on each run;
   * a run whose finished steps are no longer known at all is undone by the steps still known and ends `failed`.
   */
  version: number;
  steps: Step<C>[];
  /** Other workflows' kinds whose live run on the same subject a new run of this one cancels (deletion supersedes provisioning). */
  supersedes?: string[];
  /** When its last run did not succeed, claiming it again starts a new run (deletion can be asked for again); otherwise the outcome stands. */
  startOverAfterFailure?: boolean;
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

/** Another executor holds the run's lease: transient, the job tries again later. */
export class WorkflowBusy extends Error {
  constructor(kind: string, subjectId: string) {
    super(`the ${kind} run of ${subjectId} is being executed elsewhere`);
    this.name = 'WorkflowBusy';
  }
}

/**
 * This executor's lease on its run was taken by another (it could not renew it in time, e.g. while PostgreSQL
 * was away, and the run was taken over as a dead executor's). It stops at the next step without touching the
 * run, which belongs to the other executor now. Transient: the job's next attempt reports the run's outcome.
 */
export class WorkflowLeaseLost extends Error {
  constructor(kind: string, subjectId: string) {
    super(`the ${kind} run of ${subjectId} was taken over by another executor`);
    this.name = 'WorkflowLeaseLost';
  }
}

export type WorkflowOutcome =
  | { status: 'succeeded' }
  | { status: 'compensated'; error: string }
  /** Undoing could not finish within the retry budget (or the run's steps are no longer known): something may be left. */
  | { status: 'failed'; error: string }
  | { status: 'cancelled'; error: string };

export interface WorkflowHooks {
  onStep?(index: number, step: { name: string; label: string }, count: number): Promise<void>;
  onCompensating?(error: string): Promise<void>;
  /**
   * Moves the subject to its final state, in the transaction that writes the run's final status: the two
   * commit together or not at all. Called again with the recorded outcome when a finished run is claimed
   * (a crash cannot have split them, but a caller may ask twice), so it must be idempotent.
   */
  finish?(tx: DbOrTx, outcome: WorkflowOutcome): Promise<void>;
  /**
   * Aborted when the run must stop (its subject is being deleted): no further step starts, and steps that
   * wait (for a container, for health) stop waiting. What the run made is left to whoever cancelled it.
   */
  signal?: AbortSignal;
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

/** The current step that a recorded name (of any version) stands for. */
export function stepNamed<C>(workflow: Workflow<C>, name: string | null | undefined): Step<C> | undefined {
  if (!name) return undefined;
  return workflow.steps.find((s) => s.name === name) ?? workflow.steps.find((s) => s.formerNames?.includes(name));
}

/** A run's recorded finished steps as the current steps, and the names no current step answers to. */
export function resolveDone<C>(workflow: Workflow<C>, recorded: string[]): { done: Set<Step<C>>; unknown: string[] } {
  const done = new Set<Step<C>>();
  const unknown: string[] = [];
  for (const name of recorded) {
    const step = stepNamed(workflow, name);
    if (step) done.add(step);
    else unknown.push(name);
  }
  return { done, unknown };
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
