import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, secretContext } from '../../src/auth/secrets.js';
import { instanceNames, templateNames } from '../../src/instances/instance-names.js';
import type { InstanceRow } from '../../src/instances/instances.repo.js';
import { buildTemplate } from '../../src/instances/template-builder.js';
import type { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, type InstanceDto, leftovers, odooPort, odooRpc, waitForStatus } from '../support/instances.js';
import { readOdooParameters } from '../support/tenant-db.js';

let h: Harness;
let owner: TestUser;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const opsDeps = () => h.platform;

beforeAll(async () => {
  h = await startHarness({ workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'lifecycle' });
  expect(await buildTemplate(opsDeps(), '18.0')).toBe('ready');
}, 180_000);
afterAll(async () => {
  await h.close();
});

describe('instance lifecycle on the real engine (template clone path)', () => {
  // One instance, which the cases below take through its life in order.
  let instance: InstanceDto;
  let row: InstanceRow;
  let port: number;
  let names: ReturnType<typeof instanceNames>;

  it('provisions from the template, reports progress over Server-Sent Events, and serves', async () => {
    const created = await createInstance(h, owner, { version: '18.0' });
    expect(created.status).toMatch(/pending|provisioning/);

    // Live progress over Server-Sent Events, through the real HTTP server.
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const sse = await fetch(`${address}/api/v1/instances/${created.id}/events`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const seen: { status: string; progress: { step: string | null } | null }[] = [];
    const reader = sse.body?.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (reader && !seen.some((u) => u.status === 'running' || u.status === 'failed')) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)));
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
    }
    await reader?.cancel();
    expect(seen.at(-1)?.status, JSON.stringify(seen.at(-1))).toBe('running');
    expect(seen.map((u) => u.progress?.step).filter(Boolean)).toEqual(
      expect.arrayContaining(['Preparing the Odoo database', 'Starting Odoo']),
    );

    instance = await waitForStatus(h, owner, created.id, ['running']);
    expect(instance.provisionPath).toBe('template');
    row = await h.platform.instances.get(instance.id);
    port = odooPort(h, row.slot);
    expect((await fetch(`http://127.0.0.1:${port}/web/health`)).status).toBe(200);
    names = instanceNames(h.platform.config.resourcePrefix, instance.id);
  }, 240_000);

  it("gives the clone its own identity: uuid and secret differ from the template's", async () => {
    const keys = ['database.uuid', 'database.secret', 'web.base.url'];
    const mine = await readOdooParameters(h.platform.config.tenantDbAdminUrl, names.db, keys);
    const tpl = await readOdooParameters(
      h.platform.config.tenantDbAdminUrl,
      templateNames(h.platform.config.resourcePrefix, '18.0').db,
      keys,
    );
    expect(mine['database.uuid']).toBeTruthy();
    expect(mine['database.uuid']).not.toBe(tpl['database.uuid']);
    expect(mine['database.secret']).not.toBe(tpl['database.secret']);
    expect(mine['web.base.url']).toBe(instance.url);
  });

  it('shows the owner the admin password once, and it logs in', async () => {
    // Logging in writes to the database: ownership is right.
    const creds = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/credentials`, { client: owner });
    expect(creds.statusCode, creds.body).toBe(200);
    const { login, password } = creds.json() as { login: string; password: string };
    expect(login).toBe('admin');
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/credentials`, { client: owner })).statusCode).toBe(410);
    const uid = await odooRpc(port, 'common', 'login', [names.db, login, password]);
    expect(uid.result, JSON.stringify(uid)).toBeTypeOf('number');
    const wrong = await odooRpc(port, 'common', 'login', [names.db, login, 'admin']);
    expect(wrong.result).toBe(false);
  });

  it('keeps the database manager closed: it refuses without the master password, and lists nothing', async () => {
    const backup = await fetch(`http://127.0.0.1:${port}/web/database/backup`, {
      method: 'POST',
      body: new URLSearchParams({ master_pwd: 'admin', name: names.db, backup_format: 'zip' }),
    });
    const backupBody = await backup.text();
    expect(backup.headers.get('content-type') ?? '').not.toContain('zip');
    expect(backupBody).toMatch(/Access Denied|disabled/i);
    for (const method of ['dump', 'drop', 'duplicate_database']) {
      const res = await odooRpc(port, 'db', method, ['guess', names.db, 'x']);
      expect(res.error, `${method} must be refused`).toBeTruthy();
    }
    const list = await odooRpc(port, 'db', 'list', []);
    expect(list.error).toBeTruthy();
  });

  it('runs a hardened container, read from the real engine', async () => {
    const inspect = await docker.getContainer(names.container).inspect();
    const hc = inspect.HostConfig;
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.SecurityOpt).toContain('no-new-privileges:true');
    expect(hc.Memory).toBe(row.limits.memoryMb * 1024 * 1024);
    expect(hc.NanoCpus).toBe(row.limits.cpuMillis * 1_000_000);
    expect(hc.PidsLimit).toBe(row.limits.pids);
    expect(hc.RestartPolicy?.Name).toBe('unless-stopped');
    expect(inspect.Config.User).toBe('101:101');
    expect(inspect.Config.Labels).toMatchObject({ 'saas.tenant.id': owner.tenantId, 'saas.instance.id': instance.id });
    const bindings = Object.values(hc.PortBindings ?? {}).flat() as { HostIp: string }[];
    expect(bindings.length).toBe(2);
    expect(bindings.every((b) => b.HostIp === '127.0.0.1')).toBe(true);
    const conf = await h.platform.runtime.exec(names.container, [
      'node',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/etc/odoo/odoo.conf','utf8'))",
    ]);
    expect(conf.output).toMatch(/list_db = False/);
    expect(conf.output).toMatch(/admin_passwd = \$pbkdf2-sha512\$/);
    expect(conf.output).toContain(`dbfilter = ^${names.db}$`);
    expect(conf.output).toMatch(/proxy_mode = True/);
    // The image is read-only; /tmp is a size-capped tmpfs, the config's directory a scratch volume of the container's own.
    expect(hc.ReadonlyRootfs).toBe(true);
    const mounts = (hc.Mounts ?? []) as { Type: string; Target: string; Source?: string; TmpfsOptions?: { SizeBytes?: number } }[];
    expect(mounts.find((m) => m.Target === '/tmp')).toMatchObject({ Type: 'tmpfs', TmpfsOptions: { SizeBytes: 256 * 1024 * 1024 } });
    expect(mounts.find((m) => m.Target === '/etc/odoo')).toMatchObject({ Type: 'volume' });
    expect(mounts.find((m) => m.Target === '/var/lib/odoo')).toMatchObject({ Type: 'volume', Source: names.volume });
    const touch = await h.platform.runtime.exec(names.container, ['node', '-e', "require('fs').writeFileSync('/usr/x', '')"]);
    expect(touch.exitCode).not.toBe(0);
    expect(touch.output).toMatch(/EROFS|read-only file system/i);
    const scratch = await h.platform.runtime.exec(names.container, ['node', '-e', "require('fs').writeFileSync('/tmp/x', 'ok')"]);
    expect(scratch.exitCode, scratch.output).toBe(0);
    expect(JSON.stringify(inspect.Config.Env)).not.toContain(
      decrypt(
        h.platform.config.encryptionKey,
        (await h.platform.instances.get(instance.id)).masterPassword,
        secretContext.instanceMasterPassword(instance.id),
      ),
    );
  });

  it('serves logs and stats', async () => {
    const logs = await call(h.app, 'GET', `/api/v1/instances/${instance.id}/logs?tail=50`, { client: owner });
    expect(logs.statusCode).toBe(200);
    expect(logs.body).toMatch(/HTTP service|running on/i);
    const stats = await call(h.app, 'GET', `/api/v1/instances/${instance.id}/stats`, { client: owner });
    expect(stats.statusCode, stats.body).toBe(200);
    expect(stats.json().memoryBytes).toBeGreaterThan(0);
    expect(stats.json().databaseBytes).toBeGreaterThan(0);

    // Disk use comes from one shared `docker df` a minute: a burst of stats requests costs at most one.
    const engine = (h.platform.runtime as DockerRuntime).docker;
    const df = engine.df.bind(engine);
    let dfCalls = 0;
    engine.df = ((...args: Parameters<typeof df>) => {
      dfCalls++;
      return df(...args);
    }) as typeof engine.df;
    try {
      const burst = await Promise.all(
        Array.from({ length: 8 }, () => call(h.app, 'GET', `/api/v1/instances/${instance.id}/stats`, { client: owner })),
      );
      expect(burst.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
      expect(dfCalls).toBeLessThanOrEqual(1);
      expect(new Set(burst.map((r) => r.json().diskBytes)).size).toBe(1);
    } finally {
      engine.df = df;
    }
  });

  it('stops and starts', async () => {
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/stop`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['stopped']);
    expect((await docker.getContainer(names.container).inspect()).State.Running).toBe(false);
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restart`, { client: owner })).statusCode).toBe(409);
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/start`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['running']);
    expect((await fetch(`http://127.0.0.1:${port}/web/health`)).status).toBe(200);
  }, 240_000);

  it('restarts, keeping it running, and records the restart', async () => {
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/restart`, { client: owner })).statusCode).toBe(202);
    await expect
      .poll(
        async () =>
          (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/history`, { client: owner }))
            .json()
            .map((e: { reason: string }) => e.reason),
        {
          timeout: 60_000,
          interval: 500,
        },
      )
      .toContain('restarted');
  }, 120_000);

  it('resets the admin password to one that works', async () => {
    const reset = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/admin-password`, { client: owner });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await odooRpc(port, 'common', 'login', [names.db, 'admin', reset.json().password])).result).toBeTypeOf('number');
  });

  it('records every transition in the history', async () => {
    const history = (await call(h.app, 'GET', `/api/v1/instances/${instance.id}/history`, { client: owner })).json() as {
      toStatus: string;
    }[];
    expect(history.map((e) => e.toStatus)).toEqual(expect.arrayContaining(['pending', 'provisioning', 'running', 'stopped']));
  });

  it('deletes the instance and everything it had', async () => {
    expect((await call(h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner })).statusCode).toBe(202);
    await expect
      .poll(async () => (await h.platform.instances.get(instance.id).catch(() => null))?.status ?? 'gone', {
        timeout: 60_000,
        interval: 500,
      })
      .toBe('gone');
    expect(await leftovers(h, instance.id)).toEqual([]);
    expect((await call(h.app, 'GET', `/api/v1/instances/${instance.id}`, { client: owner })).statusCode).toBe(404);
  }, 120_000);

  it('provisions with a fresh `odoo -i base` when no template is used', async () => {
    const fresh = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' }, workerOptions: { maintenance: false } });
    try {
      const user = await createUser(fresh, { label: 'fresh' });
      const created = await createInstance(fresh, user, { version: '17.0' });
      const instance = await waitForStatus(fresh, user, created.id, ['running', 'failed'], 120_000);
      expect(instance.status, instance.lastError ?? '').toBe('running');
      expect(instance.provisionPath).toBe('fresh');
      const creds = (await call(fresh.app, 'POST', `/api/v1/instances/${instance.id}/credentials`, { client: user })).json();
      const row = await fresh.platform.instances.get(instance.id);
      expect(
        (
          await odooRpc(odooPort(fresh, row.slot), 'common', 'login', [
            instanceNames(h.platform.config.resourcePrefix, instance.id).db,
            'admin',
            creds.password,
          ])
        ).result,
      ).toBeTypeOf('number');
      const version = await odooRpc(odooPort(fresh, row.slot), 'common', 'version', []);
      expect((version.result as { server_serie: string }).server_serie).toBe('17.0');
      await call(fresh.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: user });
      await expect
        .poll(async () => (await fresh.platform.instances.get(instance.id).catch(() => null))?.status ?? 'gone', { timeout: 60_000 })
        .toBe('gone');
      expect(await leftovers(fresh, instance.id)).toEqual([]);
    } finally {
      await fresh.close();
    }
  }, 240_000);
});
