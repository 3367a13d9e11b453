import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { countTenantUsage } from '../../src/billing/usage.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { instanceNames, templateNames } from '../../src/instances/instance-names.js';
import { InstancesRepository, OdooVersionsRepository } from '../../src/instances/instances.repo.js';
import { buildTemplate } from '../../src/instances/template-builder.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, leftovers, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../support/nginx.js';
import { connectAsInstance, plantSpyTrigger, readOdooParameters, roleOnServer, spyLog } from '../support/tenant-db.js';
import { odooEnv, odooVersions } from './odoo-env.js';
import { assetUrls, docker, odooProcesses, revealCredentials, rpcViaEdge, usePlan, viaEdge, websocketStatus } from './odoo-support.js';

/**
 * The platform against real Odoo, version by version: a fresh `-i base` with 2 workers (before the template
 * exists), the template build, a template clone in threaded mode; each served through the real edge, logged
 * into with the revealed password, stopped, started, restarted and deleted.
 */

let edge: PlatformEdge;
let h: Harness;
let owner: TestUser;
const created: { id: string; db: string }[] = [];

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({ env: { ...odooEnv(), ...edge.env }, workerOptions: { maintenance: false } });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  owner = await createUser(h, { label: 'odoo' });
});
afterAll(async () => {
  await h?.close();
  await edge?.stop();
});

const host = (slug: string) => `${slug}.localhost:${edge.httpPort}`;

async function provision(version: string, plan: { code: string; memoryMb: number; workers: number; pids?: number }) {
  await usePlan(h, owner, plan);
  const started = Date.now();
  const instance = await createInstance(h, owner, { version });
  const done = await waitForStatus(h, owner, instance.id, ['running', 'failed'], 240_000);
  expect(done.status, done.lastError ?? '').toBe('running');
  created.push({ id: done.id, db: instanceNames(h.platform.config.resourcePrefix, done.id).db });
  return { ...done, seconds: (Date.now() - started) / 1000 };
}

/** What a tenant does first: the login page and its assets, then a login with the password the platform revealed. */
async function checkServes(instance: { id: string; slug: string }) {
  const at = host(instance.slug);
  const login = await viaEdge(edge.httpPort, at, '/web/login');
  expect(login.status, login.body.slice(0, 500)).toBe(200);
  expect(login.body).toContain('/web/');
  expect(login.body).not.toMatch(/stand-in/i);
  const assets = assetUrls(login.body);
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) {
    const res = await viaEdge(edge.httpPort, at, asset);
    expect(res.status, asset).toBe(200);
    // Odoo writes a failed SCSS compilation into the bundle instead of failing the request.
    if (asset.includes('.css')) expect(res.body, asset).not.toMatch(/Undefined variable|Could not get content/);
  }

  const credentials = await revealCredentials(h, owner, instance.id);
  expect(credentials.login).toBe('admin');
  const db = instanceNames(h.platform.config.resourcePrefix, instance.id).db;
  const wrong = await rpcViaEdge(edge.httpPort, at, '/web/session/authenticate', { db, login: 'admin', password: 'admin' });
  expect(
    wrong.error?.data?.name ?? '',
    `the image's default admin/admin must not work: ${wrong.status} ${wrong.text.slice(0, 300)}`,
  ).toMatch(/AccessDenied/);
  const auth = await rpcViaEdge(edge.httpPort, at, '/web/session/authenticate', {
    db,
    login: credentials.login,
    password: credentials.password,
  });
  expect(auth.error, auth.text.slice(0, 500)).toBeUndefined();
  expect(auth.result?.uid).toBe(2);
  const cookie = auth.setCookie.find((c) => c.startsWith('session_id='))?.split(';')[0];
  expect(cookie).toBeTruthy();
  const web = await request(edge.httpPort, at, '/web', { headers: { cookie: cookie ?? '' }, timeoutMs: 30_000 });
  expect(web.status).toBe(200);
  expect(web.body).toContain('odoo');
  for (const asset of assetUrls(web.body)) expect((await viaEdge(edge.httpPort, at, asset)).status, asset).toBe(200);

  // Odoo's bus: a websocket through the edge, on whichever port this instance's mode serves it.
  expect(await websocketStatus(edge.httpPort, at)).toBe(101);
}

/** A stranger (no master password, no session) gets nothing from the database manager or the `db` service. */
async function checkDatabaseManagerClosed(instance: { slug: string }) {
  const at = host(instance.slug);
  for (const path of ['/web/database/manager', '/web/database/selector', '/web/database/list']) {
    const res = await viaEdge(edge.httpPort, at, path);
    expect(res.status, path).toBe(404);
  }
  for (const [method, args] of [
    ['list', []],
    ['dump', ['admin', 'x', 'zip']],
    ['drop', ['admin', 'x']],
    ['create_database', ['admin', 'stolen', false, 'en_US', 'pw']],
    ['change_admin_password', ['admin', 'new']],
  ] as const) {
    const res = await rpcViaEdge(edge.httpPort, at, '/jsonrpc', { service: 'db', method, args });
    expect(res.result, `db.${method}`).toBeUndefined();
    expect(res.status === 404 || /AccessDenied|Access Denied|database manager/i.test(JSON.stringify(res.error ?? '')), `db.${method}`).toBe(
      true,
    );
  }
}

async function checkStopStartRestart(instance: { id: string; slug: string }) {
  const at = host(instance.slug);
  expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/stop`, { client: owner })).statusCode).toBe(202);
  await waitForStatus(h, owner, instance.id, ['stopped']);
  expect((await viaEdge(edge.httpPort, at, '/web/login')).status).toBe(503);
  expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/start`, { client: owner })).statusCode).toBe(202);
  await waitForStatus(h, owner, instance.id, ['running'], 120_000);
  expect((await viaEdge(edge.httpPort, at, '/web/login')).status).toBe(200);
  const { container } = instanceNames(h.platform.config.resourcePrefix, instance.id);
  const before = await h.platform.runtime.inspectContainer(container);
  expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restart`, { client: owner })).statusCode).toBe(202);
  const deadline = Date.now() + 120_000;
  while ((await h.platform.runtime.inspectContainer(container))?.startedAt === before?.startedAt && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  let status = 0;
  while (status !== 200 && Date.now() < deadline) {
    status = (await viaEdge(edge.httpPort, at, '/web/login')).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toBe(200);
  // The restart is done when the worker records it; with workers that includes the gevent process.
  while (Date.now() < deadline) {
    const history = (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/history`, { client: owner })).json() as {
      reason: string;
    }[];
    if (history.some((e) => e.reason === 'restarted')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await websocketStatus(edge.httpPort, at)).toBe(101);
}

for (const version of odooVersions()) {
  describe(`real Odoo ${version}`, () => {
    let prefork: { id: string; slug: string };
    let templateBuild: Promise<{ result: string; seconds: number }> | undefined;
    const startTemplateBuild = () => {
      const started = Date.now();
      const build = buildTemplate(h.platform, version).then((result) => ({ result, seconds: (Date.now() - started) / 1000 }));
      // Awaited, and its failure reported, by "builds the template".
      build.catch(() => undefined);
      return build;
    };

    it('provisions with a fresh `-i base` and 2 workers, and serves it through nginx', async () => {
      // Another file of the suite may have built the template already: without its database, the fresh path is taken.
      await h.platform.tenantDb.dropDatabase(templateNames(h.platform.config.resourcePrefix, version).db);
      const instance = await provision(version, { code: `odoo-prefork-${version}`, memoryMb: 1024, workers: 2 });
      expect(instance.provisionPath).toBe('fresh');
      // The template's own `-i base` (about a core) runs while this instance is checked and left idle (mostly waiting).
      templateBuild = startTemplateBuild();
      console.log(`[real Odoo ${version}] fresh -i base, 2 workers: create → running in ${instance.seconds.toFixed(2)} s`);
      prefork = instance;
      await checkServes(instance);
    });

    it("enforces memory and pids limits, and Odoo's own limits never kill a healthy idle worker", async () => {
      const { container } = instanceNames(h.platform.config.resourcePrefix, prefork.id);
      const info = await docker().getContainer(container).inspect();
      expect(info.HostConfig.Memory).toBe(1024 * 1024 * 1024);
      expect(info.HostConfig.PidsLimit).toBe(512);

      // Prefork: a master, 2 HTTP workers, 1 cron worker and the gevent process.
      const first = await odooProcesses(h, prefork.id);
      // The database password is in the config file only: not in the environment, not on a command line.
      const row = await new InstancesRepository(h.platform.db).findById(prefork.id);
      const password = decrypt(h.platform.config.encryptionKey, row?.dbPassword ?? '', secretContext.instanceDbPassword(prefork.id));
      expect(password.length).toBeGreaterThan(10);
      expect(JSON.stringify(info.Config.Env)).not.toContain(password);
      expect(JSON.stringify(first.map((p) => p.cmd))).not.toContain(password);
      expect(first.filter((p) => p.cmd.includes('gevent'))).toHaveLength(1);
      expect(first.length, JSON.stringify(first)).toBe(5);
      const workerVms = Math.max(...first.map((p) => p.vmsKb));
      console.log(`[real Odoo ${version}] prefork processes (VmSize/VmRSS KiB): ${first.map((p) => `${p.vmsKb}/${p.rssKb}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 15_000));
      const later = await odooProcesses(h, prefork.id);
      expect(later.map((p) => p.pid).sort()).toEqual(first.map((p) => p.pid).sort());
      const logs = await h.platform.runtime.logs(container, { tail: 2000, follow: false });
      let text = '';
      for await (const chunk of logs) text += Buffer.from(chunk).toString('utf8');
      expect(text).not.toMatch(/virtual memory limit|memory limit \(\d+\) reached|MemoryError/);
      expect(workerVms * 1024).toBeGreaterThan(200 * 1024 * 1024); // the sizes the limits are made for

      // The kernel holds the container to its plan: 2 GiB in a 1 GiB container is killed, and more
      // threads than the pids limit cannot be made; Odoo survives both.
      const hog = await h.platform.runtime.exec(container, ['python3', '-c', 'b = bytearray(2 * 1024 ** 3); print(len(b))']);
      expect(hog.exitCode).not.toBe(0);
      const threads = await h.platform.runtime.exec(container, [
        'python3',
        '-c',
        'import threading, time\nn = 0\ntry:\n    for _ in range(2000):\n        threading.Thread(target=time.sleep, args=(3,), daemon=True).start(); n += 1\nexcept RuntimeError:\n    pass\nprint(n)',
      ]);
      expect(Number(threads.output.trim().split('\n').at(-1))).toBeLessThan(512);
      await new Promise((r) => setTimeout(r, 4_000));
      expect((await viaEdge(edge.httpPort, host(prefork.slug), '/web/login')).status).toBe(200);
    });

    it('runs Odoo on a read-only root: the image cannot be changed, /tmp is scratch, attachments reach the filestore', async () => {
      const { container, db } = instanceNames(h.platform.config.resourcePrefix, prefork.id);
      const info = await docker().getContainer(container).inspect();
      expect(info.HostConfig.ReadonlyRootfs).toBe(true);
      for (const path of ['/etc/x', '/usr/lib/python3/dist-packages/odoo/x', '/var/tmp/x']) {
        const touch = await h.platform.runtime.exec(container, ['touch', path]);
        expect(touch.exitCode, path).not.toBe(0);
        expect(touch.output, path).toMatch(/Read-only file system/);
      }
      // Python's tempfile, as Odoo's uploads, reports and dumps use it.
      const scratch = await h.platform.runtime.exec(container, [
        'python3',
        '-c',
        'import tempfile\nwith tempfile.NamedTemporaryFile() as f:\n    f.write(b"x" * 1048576); f.flush(); print(f.name)',
      ]);
      expect(scratch.exitCode, scratch.output).toBe(0);
      expect(scratch.output).toMatch(/^\/tmp\//m);

      // An attachment stored through Odoo's own API lands in the filestore of the data volume.
      const reset = await call(h.app, 'POST', `/api/v1/instances/${prefork.id}/admin-password`, { client: owner });
      expect(reset.statusCode, reset.body).toBe(200);
      const { login, password } = reset.json() as { login: string; password: string };
      const at = host(prefork.slug);
      const rpc = (args: unknown[]) => rpcViaEdge(edge.httpPort, at, '/jsonrpc', { service: 'object', method: 'execute_kw', args });
      const uid = (await rpcViaEdge(edge.httpPort, at, '/jsonrpc', { service: 'common', method: 'login', args: [db, login, password] }))
        .result as unknown as number;
      expect(uid).toBe(2);
      const content = Buffer.from(`read-only root ${Date.now()}`).toString('base64');
      const created = await rpc([db, uid, password, 'ir.attachment', 'create', [{ name: 'ro.txt', datas: content }]]);
      expect(created.error, created.text.slice(0, 500)).toBeUndefined();
      const attachmentId = created.result as unknown as number;
      const read = await rpc([db, uid, password, 'ir.attachment', 'read', [[attachmentId]], { fields: ['store_fname', 'datas'] }]);
      const [stored] = read.result as unknown as { store_fname: string; datas: string }[];
      expect(stored?.datas).toBe(content);
      expect(stored?.store_fname).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{40}$/);
      const onDisk = await h.platform.runtime.exec(container, ['cat', `/var/lib/odoo/filestore/${db}/${stored?.store_fname}`]);
      expect(onDisk.exitCode, onDisk.output).toBe(0);
      expect(onDisk.output).toContain(Buffer.from(content, 'base64').toString());
      expect((await viaEdge(edge.httpPort, at, '/web/login')).status).toBe(200);
    });

    it('builds the template', async () => {
      const { result, seconds } = await (templateBuild ?? startTemplateBuild());
      expect(result).toBe('ready');
      console.log(`[real Odoo ${version}] template build (beside the prefork instance's checks): ${seconds.toFixed(1)} s`);
      expect((await new OdooVersionsRepository(h.platform.db).template(version))?.status).toBe('ready');
    });

    it('provisions from the template in threaded mode, and serves, stops, starts and restarts it', async () => {
      const instance = await provision(version, { code: `odoo-threaded-${version}`, memoryMb: 512, workers: 0 });
      expect(instance.provisionPath).toBe('template');
      console.log(`[real Odoo ${version}] template clone, threaded: create → running in ${instance.seconds.toFixed(2)} s`);
      // Threaded Odoo never opens the gevent port: the websocket must reach the HTTP port.
      const processes = await odooProcesses(h, instance.id);
      expect(processes).toHaveLength(1);
      await checkServes(instance);
      await checkDatabaseManagerClosed(instance);
      await checkStopStartRestart(instance);
    });

    it('restarts the prefork instance with its websocket on the gevent port', async () => {
      await checkDatabaseManagerClosed(prefork);
      await checkStopStartRestart(prefork);
    });
  });
}

describe('every instance is its own', () => {
  it("gives each database its own database.secret and database.uuid (a clone never keeps the template's)", async () => {
    const dbs = [...created.map((c) => c.db)];
    for (const version of odooVersions()) dbs.push(templateNames(h.platform.config.resourcePrefix, version).db);
    const seen = await Promise.all(
      dbs.map(async (db) =>
        (await h.platform.tenantDb.databaseExists(db))
          ? readOdooParameters(h.platform.config.tenantDbAdminUrl, db, ['database.secret', 'database.uuid'])
          : null,
      ),
    );
    const params = seen.filter((p): p is Record<string, string> => p !== null);
    expect(params.length).toBeGreaterThanOrEqual(created.length);
    for (const key of ['database.secret', 'database.uuid']) {
      const values = params.map((p) => p[key]);
      expect(values.every(Boolean)).toBe(true);
      expect(new Set(values).size, key).toBe(values.length);
    }
  });

  it("never lets a trigger planted in real Odoo's res_users run with the platform's rights", async () => {
    const target = created[0];
    if (!target) throw new Error('no instance was provisioned');
    const probeRole = `spy_escalated_${target.id.slice(0, 8)}`;
    const tenant = await connectAsInstance(h, target.id);
    try {
      await plantSpyTrigger(tenant, probeRole);
      const res = await call(h.app, 'POST', `/api/v1/instances/${target.id}/admin-password`, { client: owner });
      expect(res.statusCode, res.body).toBe(200);
      const { role } = instanceNames(h.platform.config.resourcePrefix, target.id);
      const log = await spyLog(tenant);
      expect(log.length).toBeGreaterThan(0);
      for (const row of log) expect(row).toEqual({ cur: role, sess: role, escalated: false });
      // The password set as the instance's own role works in real Odoo.
      const { login, password } = res.json() as { login: string; password: string };
      const instance = await h.platform.instances.get(target.id);
      const auth = await rpcViaEdge(edge.httpPort, host(instance.slug), '/web/session/authenticate', { db: target.db, login, password });
      expect(auth.result?.uid, auth.text.slice(0, 300)).toBeTruthy();
    } finally {
      await tenant.end();
      expect(await roleOnServer(h.platform.config.tenantDbAdminUrl, probeRole, true)).toBe(false);
    }
  });

  it("counts real Odoo's active internal users for per-user pricing: the admin, not OdooBot, portal or public users", async () => {
    const usage = await countTenantUsage(h.platform, owner.tenantId);
    const slugs = await Promise.all(created.map(async (c) => (await h.platform.instances.get(c.id)).slug));
    expect(Object.keys(usage.details).sort()).toEqual(slugs.sort());
    for (const slug of slugs) expect(usage.details[slug], slug).toBe(1);
    expect(usage.activeUsers).toBe(created.length);
  });

  it('deletes every instance and leaves nothing behind', async () => {
    for (const { id } of created) {
      expect((await call(h.app, 'DELETE', `/api/v1/instances/${id}`, { client: owner })).statusCode).toBe(202);
    }
    for (const { id } of created) {
      await waitForStatus(h, owner, id, ['deleted'], 120_000).catch(async () => {
        // A deleted instance may no longer be readable by its tenant: the repository says.
        const gone = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client: owner });
        expect(gone.statusCode).toBe(404);
      });
      expect(await leftovers(h, id)).toEqual([]);
    }
  });
});
