import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceNames } from '../../src/instances/instance-names.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import { Reconciler } from '../../src/instances/reconciler.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';

/**
 * The engine under the instances: a provisioning job that runs again after its run succeeded (the state a
 * crash between "run succeeded" and "instance running" used to leave) finishes the instance and touches nothing.
 */

let h: Harness;
let owner: TestUser;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' } });
  owner = await createUser(h, { label: 'wf-instances', verify: 'direct' });
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe('instance workflows', () => {
  it('requeued provisioning of an instance whose run already succeeded marks it running without redoing a step', async () => {
    const created = await createInstance(h, owner);
    await waitForStatus(h, owner, created.id, ['running'], 120_000);
    const { container, volume } = instanceNames(h.platform.config.resourcePrefix, created.id);
    const before = await h.platform.runtime.inspectContainer(container);
    // The instance back in "provisioning", its run succeeded, for a while: what the reconciler sees as a lost job.
    await h.platform.db.execute(
      sql`update instances set status = 'provisioning', updated_at = now() - interval '1 minute' where id = ${created.id}`,
    );
    const p = h.platform;
    const reconciler = new Reconciler(p, p.queues);
    const findings = await reconciler.run();
    expect(findings).toContainEqual(expect.objectContaining({ kind: 'stuck_operation', target: created.id, action: 'requeued provision' }));
    await waitForStatus(h, owner, created.id, ['running'], 30_000);
    const after = await p.runtime.inspectContainer(container);
    expect(after?.id).toBe(before?.id);
    expect(after?.state).toBe('running');
    expect(await p.runtime.volumeExists(volume)).toBe(true);
    const runs = await p.db
      .select()
      .from(workflowRuns)
      .where(and(eq(workflowRuns.subjectId, created.id), eq(workflowRuns.kind, 'instance.provision')));
    expect(runs.map((r) => r.status)).toEqual(['succeeded']);
  }, 180_000);
});
