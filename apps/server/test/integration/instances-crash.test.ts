import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { sql } from 'drizzle-orm';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, leftovers, waitForProvisionStep, waitForStatus } from '../support/instances.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

/**
 * The worker is killed with SIGKILL inside a chosen provisioning step, then a new worker starts.
 * Each instance must end `running`, or rolled back with nothing left behind — never stuck.
 * The scenarios run at once (most of each is the killed job's lock running out): each has an API with a
 * queue of its own and its own workers, so a kill only ever hits its own scenario's job.
 */
// Every step pauses a moment in the first worker, so the kill lands inside the step named.
const env = { PROVISION_FROM_TEMPLATE: 'false', WORKFLOW_STEP_PAUSE_MS: '1500' };

let h: Harness;
let owner: TestUser;
const scenarios: Harness[] = [];

/** An API with a queue of its own (its workers get the same prefix): one per scenario. */
async function scenario() {
  const queueEnv = { ...env, QUEUE_PREFIX: `crash-${randomUUID().slice(0, 8)}` };
  const api = await startHarness({ withWorker: false, env: queueEnv });
  scenarios.push(api);
  return { api, env: queueEnv };
}

beforeAll(async () => {
  // The API side only: the workers are separate processes started and killed by the tests.
  h = await startHarness({ withWorker: false, env: { ...env, QUEUE_PREFIX: `crash-${randomUUID().slice(0, 8)}` } });
  owner = await createUser(h, { label: 'crash', verify: 'direct' });
  // Enough room for every scenario of this file, on a plan of its own.
  await h.platform.db.execute(
    sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers) values ('crash-test', 'Crash test', 20, 512, 500, 256, 1, 0) on conflict do nothing`,
  );
  await h.platform.db.execute(sql`update tenants set plan_code = 'crash-test' where id = ${owner.tenantId}`);
}, 60_000);
afterAll(async () => {
  await Promise.all(scenarios.map((s) => s.close()));
  await h.close();
});

describe.concurrent('worker killed mid-provisioning', () => {
  for (const step of ['storage', 'odoo-database', 'container', 'health']) {
    it(`finishes the instance after a crash in "${step}"`, async ({ expect }) => {
      const { api, env: queueEnv } = await scenario();
      const created = await createInstance(api, owner);
      const first = startWorkerProcess(queueEnv);
      try {
        await waitForProvisionStep(api, created.id, step);
        await killHard(first);
      } finally {
        await killHard(first);
      }
      const second = startWorkerProcess({ ...queueEnv, WORKFLOW_STEP_PAUSE_MS: '0' });
      try {
        const done = await waitForStatus(api, owner, created.id, ['running', 'failed'], 120_000);
        expect(done.status, `${done.lastError}\n${second.output.join('')}`).toBe('running');
      } finally {
        await killHard(second);
      }
    }, 180_000);
  }

  it('rolls back completely when the resumed run cannot finish', async ({ expect }) => {
    const { api, env: queueEnv } = await scenario();
    // An image whose `odoo` cannot be executed (its interpreter does not exist): `odoo -i base` can never
    // start, so after the allowed attempts everything done so far (role, volume, network, database) is undone.
    const docker = new Docker({ socketPath: api.platform.config.dockerSocket });
    const base = await docker.createContainer({
      Image: 'odoo-standin:18.0',
      Labels: { 'saas.platform': api.platform.config.resourcePrefix },
    });
    const archive = pack();
    archive.entry({ name: 'usr/bin/odoo', mode: 0o755 }, '#!/nonexistent-entrypoint\n');
    archive.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    await base.putArchive(Buffer.concat(chunks), { path: '/' });
    await base.commit({ repo: 'odoo-standin', tag: 'broken' });
    await base.remove();
    await api.platform.db.execute(
      sql`insert into odoo_versions (version, image, enabled) values ('16.0', 'odoo-standin:broken', true) on conflict (version) do update set image = excluded.image, enabled = true`,
    );
    const created = await createInstance(api, owner, { version: '16.0' });
    const first = startWorkerProcess(queueEnv);
    try {
      await waitForProvisionStep(api, created.id, 'odoo-database');
      await killHard(first);
    } finally {
      await killHard(first);
    }
    const second = startWorkerProcess({ ...queueEnv, WORKFLOW_STEP_PAUSE_MS: '0' });
    try {
      const done = await waitForStatus(api, owner, created.id, ['running', 'failed'], 150_000);
      expect(done.status).toBe('failed');
      expect(done.lastError).toMatch(/nonexistent-entrypoint|no such file/i);
      expect(await leftovers(api, created.id)).toEqual([]);
    } finally {
      await killHard(second);
    }
  }, 200_000);
});
