import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import { PermanentStepError, type Step } from '../../src/jobs/workflow.js';

export interface StepBehaviour {
  group?: string;
  /** How long the invoke takes. */
  ms?: number;
  /** The invoke throws: a permanent error, or a transient one (retried while the budget lasts). */
  fail?: 'permanent' | 'transient';
  /** The compensation throws this many times before it succeeds (Infinity: always). */
  undoFailures?: number;
  formerNames?: string[];
}

/** Steps that record what happened to them, in order. */
export function recorder() {
  const events: string[] = [];
  const step = (name: string, options: StepBehaviour = {}): Step<unknown> => {
    let undoFailures = options.undoFailures ?? 0;
    return {
      name,
      label: name,
      ...(options.group ? { group: options.group } : {}),
      ...(options.formerNames ? { formerNames: options.formerNames } : {}),
      invoke: async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, options.ms ?? 0));
        if (options.fail === 'permanent') throw new PermanentStepError(`${name} failed`);
        if (options.fail === 'transient') throw new Error(`${name} hiccup`);
        events.push(`end ${name}`);
      },
      compensate: async () => {
        events.push(`undo ${name}`);
        if (undoFailures-- > 0) throw new Error(`${name} would not go`);
      },
    };
  };
  return { events, step };
}

/** Every run recorded for a subject, oldest first. */
export function runsOf(db: Db, subjectId: string) {
  return db.select().from(workflowRuns).where(eq(workflowRuns.subjectId, subjectId)).orderBy(asc(workflowRuns.startedAt));
}
