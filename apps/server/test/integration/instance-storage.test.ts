import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/audit.tables.js';
import { instanceNames } from '../../src/instances/instance-names.js';
import { measureStorage } from '../../src/instances/instance-storage.js';
import { type Finding, Reconciler } from '../../src/instances/reconciler.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';

/*
 * The plan's storage limit on the real engine and the real PostgreSQL: a plan of 1 GiB, real bytes written into
 * the instance's filestore, and the sizes as the engine and pg_database_size report them.
 */

let h: Harness;
let owner: TestUser;
const GiB = 1024 ** 3;

beforeAll(async () => {
  h = await startHarness({ workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'storage' });
  await h.platform.db.execute(
    sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers)
        values ('storage-1g', 'Storage 1 GiB', 5, 512, 500, 256, 1, 0) on conflict do nothing`,
  );
  await h.platform.db.execute(sql`update tenants set plan_code = 'storage-1g' where id = ${owner.tenantId}`);
}, 120_000);
afterAll(async () => {
  await h.close();
});

interface Stats {
  diskBytes: number | null;
  databaseBytes: number | null;
  storage: { usedBytes: number | null; limitBytes: number; state: string };
}

describe('storage limit', () => {
  let id: string;
  let container: string;
  /*
   * Volume sizes come from one engine-wide `docker system df` sample per engine client, up to a minute old: a
   * client of its own per measurement reads the engine's answer for the bytes just written.
   */
  const fresh = () => ({ ...h.platform, runtime: new DockerRuntime({ socketPath: h.platform.config.dockerSocket }) });
  const measure = async () => measureStorage(fresh(), await h.platform.instances.get(id));
  const stats = async () => {
    const res = await call(h.app, 'GET', `/api/v1/instances/${id}/stats`, { client: owner });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Stats;
  };
  /** Appends `bytes` of real data to a file in the filestore, from inside the instance's container. */
  const grow = async (file: string, bytes: number) => {
    const script = `const fs=require('fs');const f=fs.openSync(process.argv[1],'a');const b=Buffer.alloc(64*1024*1024,7);let n=Number(process.argv[2]);while(n>0){const k=Math.min(n,b.length);fs.writeSync(f,b,0,k);n-=k;}fs.fsyncSync(f);fs.closeSync(f)`;
    const res = await h.platform.runtime.exec(container, ['node', '-e', script, `/var/lib/odoo/${file}`, String(Math.ceil(bytes))]);
    expect(res.exitCode, res.output).toBe(0);
  };
  const watch = async () => {
    const findings: Finding[] = [];
    await new Reconciler(fresh(), h.platform.queues).watchStorage(findings, true);
    return findings.filter((f) => f.target === id);
  };
  /**
   * The storage check for this instance, crossing into a new state. Every test process's worker also runs
   * it every few minutes over the shared database, so one of them may record the crossing first: the
   * finding is theirs then, and what must hold is that it is recorded (and mailed) once — asserted after.
   */
  const crossing = async (action: string) => {
    const findings = await watch();
    if (findings.length > 0) expect(findings).toMatchObject([{ kind: 'storage_limit', action }]);
    expect(await watch()).toEqual([]);
  };
  const recorded = async () =>
    (
      await h.platform.db
        .select({ action: auditLog.action })
        .from(auditLog)
        .where(and(eq(auditLog.targetType, 'instance'), eq(auditLog.targetId, id)))
        .orderBy(auditLog.id)
    )
      .map((r) => r.action)
      .filter((action) => action.startsWith('instance.storage_'));
  const mails = async () => h.platform.db.select().from(mailOutbox).where(eq(mailOutbox.to, owner.email));

  it('measures database and filestore against the plan', async () => {
    const created = await createInstance(h, owner, { version: '18.0' });
    const running = await waitForStatus(h, owner, created.id, ['running', 'failed'], 120_000);
    expect(running.status, running.lastError ?? '').toBe('running');
    id = running.id;
    container = instanceNames(h.platform.config.resourcePrefix, id).container;

    const s = await stats();
    expect(s.databaseBytes).toBeGreaterThan(0);
    expect(s.diskBytes).toBeGreaterThan(0);
    expect(s.storage).toEqual({ usedBytes: (s.databaseBytes ?? 0) + (s.diskBytes ?? 0), limitBytes: GiB, state: 'ok' });
    expect(await watch()).toEqual([]);
  });

  it('warns at 80 % and tells the owner once', async () => {
    const before = (await measure()).usedBytes ?? 0;
    await grow('filestore-ballast', 0.82 * GiB - before);
    const s = await measure();
    expect(s.usedBytes).toBeGreaterThanOrEqual(0.8 * GiB);
    expect(s.filestoreBytes).toBeGreaterThanOrEqual(0.8 * GiB - (s.databaseBytes ?? 0));
    expect(s.state).toBe('warning');

    await crossing('recorded storage_warning, mailed 1 owner(s)');
    expect(await recorded()).toEqual(['instance.storage_warning']);
    const sent = await mails();
    expect(sent.filter((m) => m.subject.includes('running out of storage'))).toHaveLength(1);
  });

  it('at 100 % marks the instance storage_full, tells the owner once, and keeps it serving', async () => {
    const before = (await measure()).usedBytes ?? 0;
    await grow('filestore-ballast', GiB - before + 16 * 1024 * 1024);
    expect((await measure()).state).toBe('full');

    await crossing('recorded storage_full, mailed 1 owner(s)');
    expect(await recorded()).toEqual(['instance.storage_warning', 'instance.storage_full']);
    expect((await mails()).filter((m) => m.subject.includes('used all of its storage'))).toHaveLength(1);
    // The tenant sees it in its audit trail; the instance itself is left running (docs/instances.md).
    const audit = await call(h.app, 'GET', `/api/v1/tenants/${owner.tenantId}/audit-log`, { client: owner });
    expect(audit.statusCode, audit.body).toBe(200);
    const entries = (audit.json() as { items: { action: string; targetId: string | null }[] }).items;
    expect(entries).toContainEqual(expect.objectContaining({ action: 'instance.storage_full', targetId: id }));
    expect((await h.platform.runtime.inspectContainer(container))?.state).toBe('running');
  });

  it('records the way back to ok without mail', async () => {
    const rm = await h.platform.runtime.exec(container, ['node', '-e', "require('fs').unlinkSync('/var/lib/odoo/filestore-ballast')"]);
    expect(rm.exitCode, rm.output).toBe(0);
    expect((await measure()).state).toBe('ok');
    await crossing('recorded storage_ok');
    expect(await recorded()).toEqual(['instance.storage_warning', 'instance.storage_full', 'instance.storage_ok']);
    expect((await mails()).filter((m) => m.subject.includes('storage'))).toHaveLength(2);
  });
});
