import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import { type Workflow, WorkflowLeaseLost, type WorkflowOutcome } from '../../src/jobs/workflow.js';
import { WorkflowRunner } from '../../src/jobs/workflow-runner.js';
import { recorder, runsOf } from '../support/workflows.js';
import { testConfig } from '../test-env.js';

/**
 * Claims on the real platform database: a finished run is reported, never run again; the subject's state
 * commits with the run's; claims at once share one run; a run supersedes another; a deletion starts over.
 */

let database: Database;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  database = createDatabase(testConfig().databaseUrl, 8);
  await database.db.execute(sql`create table if not exists workflow_test_subjects (id uuid primary key, state text not null)`);
});
afterAll(async () => {
  await database.db.execute(sql`drop table if exists workflow_test_subjects`);
  await database.close();
});

const subjectState = async (id: string) =>
  (await database.db.execute<{ state: string }>(sql`select state from workflow_test_subjects where id = ${id}`)).rows[0]?.state;

/** A finish hook that moves the test subject to the outcome's status, in the run's transaction. */
const moveSubject =
  (id: string) =>
  async (tx: { execute: Database['db']['execute'] }, outcome: WorkflowOutcome): Promise<void> => {
    await tx.execute(sql`insert into workflow_test_subjects (id, state) values (${id}, ${outcome.status})
                         on conflict (id) do update set state = excluded.state`);
  };

describe('claiming a workflow run', () => {
  it('rolls the run back with the subject when the process dies while marking both done, then finishes without redoing a step', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.crash-at-finish', version: 1, steps: [step('a'), step('b')] };
    const subject = randomUUID();
    const runner = new WorkflowRunner(database.db, log, { maxAttempts: 3 });
    // The finish hook stands for everything after the run's status was written: a crash there rolls both back.
    await expect(
      runner.run(
        workflow,
        subject,
        {},
        {
          finish: async (tx, outcome) => {
            await moveSubject(subject)(tx, outcome);
            throw new Error('killed');
          },
        },
      ),
    ).rejects.toThrow('killed');
    expect((await runsOf(database.db, subject))[0]?.status).toBe('running');
    expect(await subjectState(subject)).toBeUndefined();
    // The job runs again (stalled job, or the reconciler): every step is done, so only the finish happens.
    expect(await runner.run(workflow, subject, {}, { finish: moveSubject(subject) })).toEqual({ status: 'succeeded' });
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(await subjectState(subject)).toBe('succeeded');
  });

  it('reports a run that already succeeded, and applies its end to the subject again, instead of starting a new run', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.finished', version: 1, steps: [step('a')] };
    const subject = randomUUID();
    // A run marked succeeded while its subject never heard of it (as a crash could leave it before the engine committed both together).
    await database.db.insert(workflowRuns).values({ kind: workflow.kind, subjectId: subject, status: 'succeeded', doneSteps: ['a'] });
    const runner = new WorkflowRunner(database.db, log);
    expect(await runner.run(workflow, subject, {}, { finish: moveSubject(subject) })).toEqual({ status: 'succeeded' });
    expect(events).toEqual([]); // no step, no compensation: nothing torn down
    expect(await runsOf(database.db, subject)).toHaveLength(1);
    expect(await subjectState(subject)).toBe('succeeded');
  });

  it('gives concurrent claims one run, executed once: the others wait for its outcome', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.concurrent', version: 1, steps: [step('a', { ms: 300 }), step('b', { ms: 300 })] };
    const subject = randomUUID();
    const runners = Array.from({ length: 5 }, () => new WorkflowRunner(database.db, log, { leaseMs: 3_000 }));
    const outcomes = await Promise.all(runners.map((r) => r.run(workflow, subject, {})));
    expect(outcomes).toEqual(Array(5).fill({ status: 'succeeded' }));
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(await runsOf(database.db, subject)).toHaveLength(1);
  });

  it('takes over a live run whose executor died once its lease has run out', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.takeover', version: 1, steps: [step('a'), step('b')] };
    const subject = randomUUID();
    // A run that a dead executor leased a moment ago, "a" done.
    await database.db.insert(workflowRuns).values({
      kind: workflow.kind,
      subjectId: subject,
      status: 'running',
      doneSteps: ['a'],
      currentStep: 'b',
      attempts: 1,
      leaseOwner: 'dead',
      leaseUntil: new Date(Date.now() + 1_000),
    });
    const started = Date.now();
    expect(await new WorkflowRunner(database.db, log, { leaseMs: 2_000 }).run(workflow, subject, {})).toEqual({ status: 'succeeded' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(events).toEqual(['start b', 'end b']);
    expect((await runsOf(database.db, subject))[0]).toMatchObject({ attempts: 2, leaseOwner: null });
  });

  it('stops an executor whose lease was taken over at its next step, leaving the run to the new executor', async () => {
    const { events, step } = recorder();
    const workflow: Workflow<unknown> = { kind: 'test.lease-lost', version: 1, steps: [step('a', { ms: 800 }), step('b')] };
    const subject = randomUUID();
    const running = new WorkflowRunner(database.db, log, { leaseMs: 300 }).run(workflow, subject, {}, { finish: moveSubject(subject) });
    const rejected = expect(running).rejects.toBeInstanceOf(WorkflowLeaseLost);
    await new Promise((r) => setTimeout(r, 200));
    // While "a" runs, its renewals failed long enough for another executor to take the run over (as after
    // a PostgreSQL outage longer than the lease): that one holds it now.
    await database.db
      .update(workflowRuns)
      .set({ leaseOwner: 'other', leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(workflowRuns.subjectId, subject));
    await rejected;
    expect(events).toEqual(['start a', 'end a']); // "b" is the new executor's
    expect((await runsOf(database.db, subject))[0]).toMatchObject({ status: 'running', leaseOwner: 'other', doneSteps: ['a'] });
    expect(await subjectState(subject)).toBeUndefined();
  });

  it('cancels the live run it supersedes, and the superseded executor keeps the cancellation', async () => {
    const { step } = recorder();
    const subject = randomUUID();
    const provision: Workflow<unknown> = { kind: 'test.provision', version: 1, steps: [step('a', { ms: 600 }), step('b')] };
    const remove: Workflow<unknown> = { kind: 'test.delete', version: 1, supersedes: [provision.kind], steps: [step('x')] };
    const provisioning = new WorkflowRunner(database.db, log).run(provision, subject, {});
    await new Promise((r) => setTimeout(r, 200));
    expect(await new WorkflowRunner(database.db, log).run(remove, subject, {})).toEqual({ status: 'succeeded' });
    expect(await provisioning).toEqual({ status: 'cancelled', error: 'superseded by test.delete' });
    const runs = await runsOf(database.db, subject);
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['test.provision', 'cancelled'],
      ['test.delete', 'succeeded'],
    ]);
  });

  it('starts over after a failed run only for workflows that ask to, and never after a success', async () => {
    const subject = randomUUID();
    const { events, step } = recorder();
    const failing: Workflow<unknown> = {
      kind: 'test.again',
      version: 1,
      startOverAfterFailure: true,
      steps: [step('x', { fail: 'permanent' })],
    };
    const runner = new WorkflowRunner(database.db, log);
    expect((await runner.run(failing, subject, {})).status).toBe('compensated');
    const fixed: Workflow<unknown> = { ...failing, steps: [step('x')] };
    expect(await runner.run(fixed, subject, {})).toEqual({ status: 'succeeded' });
    expect(await runner.run(fixed, subject, {})).toEqual({ status: 'succeeded' });
    expect(events.filter((e) => e === 'start x')).toHaveLength(2);
    expect((await runsOf(database.db, subject)).map((r) => r.status)).toEqual(['compensated', 'succeeded']);

    const once: Workflow<unknown> = { kind: 'test.once', version: 1, steps: [step('y', { fail: 'permanent' })] };
    expect((await runner.run(once, subject, {})).status).toBe('compensated');
    expect(await runner.run({ ...once, steps: [step('y')] }, subject, {})).toEqual({ status: 'compensated', error: 'y failed' });
    const onceRuns = await database.db.select().from(workflowRuns).where(eq(workflowRuns.kind, 'test.once'));
    expect(onceRuns.filter((r) => r.subjectId === subject)).toHaveLength(1);
  });
});
