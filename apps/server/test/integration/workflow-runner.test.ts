import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import { PermanentStepError, type Step, type Workflow, WorkflowRunner } from '../../src/jobs/workflow.js';
import { testConfig } from '../test-env.js';

/** The step runner on the real platform database: grouped steps, compensation of a group, cancellation. */

let database: Database;
const log = pino({ level: 'silent' });
const runner = () => new WorkflowRunner(database.db, log);

beforeAll(() => {
  database = createDatabase(testConfig().databaseUrl, 2);
});
afterAll(async () => {
  await database.close();
});

/** Steps that record what happened to them, in order. */
function recorder() {
  const events: string[] = [];
  const step = (name: string, options: { group?: string; ms?: number; fail?: boolean } = {}): Step<unknown> => ({
    name,
    label: name,
    ...(options.group ? { group: options.group } : {}),
    invoke: async () => {
      events.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, options.ms ?? 0));
      if (options.fail) throw new PermanentStepError(`${name} failed`);
      events.push(`end ${name}`);
    },
    compensate: async () => {
      events.push(`undo ${name}`);
    },
  });
  return { events, step };
}

const runOf = async (subjectId: string) => (await database.db.select().from(workflowRuns).where(eq(workflowRuns.subjectId, subjectId)))[0];

describe('the workflow runner', () => {
  it('runs the steps of a group together and records each one done', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = {
      kind: 'test.groups',
      maxAttempts: 1,
      steps: [step('a'), step('b', { group: 'g', ms: 100 }), step('c', { group: 'g', ms: 100 }), step('d')],
    };
    const subject = randomUUID();
    const seen: string[] = [];
    const outcome = await runner().run(workflow, subject, {}, { onStep: async (_i, s, count) => void seen.push(`${s.name}/${count}`) });
    expect(outcome.status).toBe('succeeded');
    // b and c both started before either ended.
    expect(events.slice(2, 4).sort()).toEqual(['start b', 'start c']);
    expect(events.at(-1)).toBe('end d');
    expect(seen).toEqual(['a/3', 'b/3', 'd/3']);
    expect((await runOf(subject))?.doneSteps.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('compensates every step of a group when one of them fails, after all of it has settled', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = {
      kind: 'test.group-failure',
      maxAttempts: 1,
      steps: [step('a'), step('b', { group: 'g', fail: true }), step('c', { group: 'g', ms: 100 }), step('d')],
    };
    const subject = randomUUID();
    const outcome = await runner().run(workflow, subject, {});
    expect(outcome).toEqual({ status: 'compensated', error: 'b failed' });
    expect(events).toContain('end c'); // not abandoned mid-way
    expect(events.filter((e) => e.startsWith('undo'))).toEqual(['undo c', 'undo b', 'undo a']);
    expect(events).not.toContain('start d');
    expect((await runOf(subject))?.status).toBe('compensated');
  });

  it('stops between steps when cancelled, undoing nothing', async () => {
    const { events, step } = recorder();
    const controller = new AbortController();
    const workflow: Workflow<unknown> = {
      kind: 'test.cancel',
      maxAttempts: 1,
      steps: [step('a'), { ...step('b'), invoke: async () => controller.abort(new Error('the subject is being deleted')) }, step('c')],
    };
    const subject = randomUUID();
    const outcome = await runner().run(workflow, subject, {}, { signal: controller.signal });
    expect(outcome).toEqual({ status: 'cancelled', error: 'the subject is being deleted' });
    expect(events).toEqual(['start a', 'end a']);
    expect((await runOf(subject))?.status).toBe('cancelled');
  });
});
