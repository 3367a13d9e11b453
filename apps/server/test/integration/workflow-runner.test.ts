import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';
import type { Workflow } from '../../src/jobs/workflow.js';
import { type RunnerOptions, WorkflowRunner } from '../../src/jobs/workflow-runner.js';
import { recorder, runsOf } from '../support/workflows.js';
import { testConfig } from '../test-env.js';

/**
 * The step runner on the real platform database: grouped steps, failures (permanent, transient, in a
 * compensation), cancellation and a change of version under a run in flight. Claims: workflow-claims.test.ts.
 */

let database: Database;
const log = pino({ level: 'silent' });
const runner = (options: RunnerOptions = { maxAttempts: 1 }) => new WorkflowRunner(database.db, log, options);
const runOf = async (subjectId: string) => (await runsOf(database.db, subjectId)).at(-1);

beforeAll(() => {
  database = createDatabase(testConfig().databaseUrl, 4);
});
afterAll(async () => {
  await database.close();
});

describe('the workflow runner', () => {
  it('runs the steps of a group together and records each one done', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = {
      kind: 'test.groups',
      version: 1,
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
      version: 1,
      steps: [step('a'), step('b', { group: 'g', fail: 'permanent' }), step('c', { group: 'g', ms: 100 }), step('d')],
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
      version: 1,
      steps: [step('a'), { ...step('b'), invoke: async () => controller.abort(new Error('the subject is being deleted')) }, step('c')],
    };
    const subject = randomUUID();
    const outcome = await runner().run(workflow, subject, {}, { signal: controller.signal });
    expect(outcome).toEqual({ status: 'cancelled', error: 'the subject is being deleted' });
    expect(events).toEqual(['start a', 'end a']);
    expect((await runOf(subject))?.status).toBe('cancelled');
  });

  it('compensates at once on a permanent error, even with attempts left', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = {
      kind: 'test.permanent',
      version: 1,
      steps: [step('a'), step('b', { fail: 'permanent' }), step('c')],
    };
    const subject = randomUUID();
    const outcome = await runner({ maxAttempts: 5 }).run(workflow, subject, {});
    expect(outcome).toEqual({ status: 'compensated', error: 'b failed' });
    expect(events).toEqual(['start a', 'end a', 'start b', 'undo b', 'undo a']);
    expect(await runOf(subject)).toMatchObject({ status: 'compensated', attempts: 1, error: 'b failed', leaseOwner: null });
  });

  it('retries a transient error while the budget lasts, resuming after the last finished step, then compensates', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.transient', version: 1, steps: [step('a'), step('b', { fail: 'transient' })] };
    const subject = randomUUID();
    const r = runner({ maxAttempts: 3 });
    await expect(r.run(workflow, subject, {})).rejects.toThrow('b hiccup');
    await expect(r.run(workflow, subject, {})).rejects.toThrow('b hiccup');
    expect(await runOf(subject)).toMatchObject({ status: 'running', attempts: 2, error: 'b hiccup', leaseOwner: null });
    expect(await r.run(workflow, subject, {})).toEqual({ status: 'compensated', error: 'b hiccup' });
    // "a" ran once: resumed runs skip it.
    expect(events.filter((e) => e === 'start a')).toHaveLength(1);
    expect(events.slice(-2)).toEqual(['undo b', 'undo a']);
  });

  it('runs every compensation when one throws, retries them, and ends "failed" once the budget is spent', async () => {
    const { events, step } = recorder();
    const finished: string[] = [];
    const workflow: Workflow<unknown> = {
      kind: 'test.undo-throws',
      version: 1,
      steps: [step('a'), step('b', { undoFailures: Number.POSITIVE_INFINITY }), step('c', { fail: 'permanent' })],
    };
    const subject = randomUUID();
    const r = runner({ maxAttempts: 2 });
    const hooks = { finish: async (_tx: unknown, outcome: { status: string }) => void finished.push(outcome.status) };
    await expect(r.run(workflow, subject, {}, hooks)).rejects.toThrow('b: b would not go');
    // The others were undone all the same; the run waits for its retry, still compensating.
    expect(events.filter((e) => e.startsWith('undo'))).toEqual(['undo c', 'undo b', 'undo a']);
    expect((await runOf(subject))?.status).toBe('compensating');
    const outcome = await r.run(workflow, subject, {}, hooks);
    expect(outcome.status).toBe('failed');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/^c failed\nUndoing did not finish: b: b would not go/);
    expect((await runOf(subject))?.status).toBe('failed');
    expect(finished).toEqual(['failed']);
  });

  it('finishes a run in flight across a step rename, finding the renamed step under its former name', async () => {
    const { events, step } = recorder();
    const v1: Workflow<unknown> = { kind: 'test.rename', version: 1, steps: [step('old-name'), step('b', { fail: 'transient' })] };
    const subject = randomUUID();
    await expect(runner({ maxAttempts: 3 }).run(v1, subject, {})).rejects.toThrow('b hiccup');
    const v2: Workflow<unknown> = { kind: 'test.rename', version: 2, steps: [step('new-name', { formerNames: ['old-name'] }), step('b')] };
    expect(await runner({ maxAttempts: 3 }).run(v2, subject, {})).toEqual({ status: 'succeeded' });
    expect(events.filter((e) => e.includes('name'))).toEqual(['start old-name', 'end old-name']); // not run again
    expect(await runOf(subject)).toMatchObject({ status: 'succeeded', version: 1 });
  });

  it('undoes by the names still known a run whose finished steps a new version no longer has, and says so', async () => {
    const { events, step } = recorder();
    const v1: Workflow<unknown> = { kind: 'test.removed', version: 1, steps: [step('a'), step('gone'), step('b', { fail: 'transient' })] };
    const subject = randomUUID();
    await expect(runner({ maxAttempts: 3 }).run(v1, subject, {})).rejects.toThrow('b hiccup');
    const v2: Workflow<unknown> = { kind: 'test.removed', version: 2, steps: [step('a'), step('b')] };
    const outcome = await runner({ maxAttempts: 3 }).run(v2, subject, {});
    expect(outcome.status).toBe('failed');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/version 1 to 2.*gone are no longer known/);
    // b was the step in flight: undone with a.
    expect(events.slice(-2)).toEqual(['undo b', 'undo a']);
  });
});
