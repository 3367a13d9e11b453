import { beforeAll, expect, it } from 'vitest';
import type { ContainerInfo, ContainerSpec } from '../../src/runtime/instance-runtime.js';
import { type ContractFixture, MiB, NODE, sleep } from './runtime-contract-fixture.js';

/**
 * The InstanceRuntime contract, a container's life: run with its files, limits and published port on the contract's
 * network and volume, found, kept or replaced, read (logs, stats, usage, exec), stopped, started, restarted, its
 * limits changed, and removed with the volume and the network; and what is not there.
 */

const CONF = '[options]\nadmin_passwd = contract\n';
// The stand-in has node but no shell: a listener that answers with the file written into the container.
const LISTENER = `const fs = require('fs'); console.log('listening as ' + process.env.INSTANCE);
  require('http').createServer((q, s) => s.end(fs.readFileSync('/etc/app/app.conf', 'utf8'))).listen(8080);
  process.on('SIGTERM', () => process.exit(0));`;

/** What `http://address:port/` answers, once the process listens (bounded). */
async function answer(address: string, port: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://${address}:${port}/`, { signal: AbortSignal.timeout(2_000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

export function containerLifecycle(f: ContractFixture): void {
  const { c, rt, net, data, app, tempDir } = f;
  let spec: ContainerSpec;
  let current: ContainerInfo;

  const inApp = (script: string) => rt().exec(app, [NODE, '-e', script]);
  const info = async () => {
    const found = await rt().inspectContainer(app);
    if (!found) throw new Error(`${app} is not there`);
    return found;
  };

  beforeAll(async () => {
    spec = {
      name: app,
      image: c.image,
      entrypoint: [NODE],
      command: ['-e', LISTENER],
      env: { INSTANCE: 'contract' },
      labels: { ...c.labels, 'saas.contract': 'app' },
      network: net,
      mounts: [{ volume: data, target: '/var/lib/odoo' }],
      files: [{ path: '/etc/app/app.conf', content: CONF, mode: 0o440, uid: 101, gid: 101 }],
      limits: { memoryMb: 256, cpuMillis: 250, pids: 100 },
      user: '101:101',
      publish: [{ containerPort: 8080, hostPort: await c.hostPort() }],
      extraHosts: ['contract-db:198.51.100.10'],
      restart: 'unless-stopped',
      readOnlyRootfs: true,
      tmpfs: [{ target: '/tmp', sizeMb: 16 }],
    };
  });

  it('ensureContainer: runs it with its files, a read-only image, and the published port answering where it is published', async () => {
    current = await rt().ensureContainer(spec);
    expect(current).toMatchObject({ name: app, state: 'running', exitCode: null, restartCount: 0 });
    expect(current.specHash).toBeTruthy();
    expect(current.labels).toMatchObject(spec.labels);
    expect(Date.parse(current.startedAt ?? '')).toBeGreaterThan(0);
    expect(Date.parse(current.createdAt ?? '')).toBeGreaterThan(0);

    const port = spec.publish[0]?.hostPort ?? 0;
    expect(await answer(await c.addressOf(current), port)).toBe(CONF);
    await expect(answer(await c.notPublishedOn(current), port, 0)).rejects.toThrow();

    const stat = await inApp(
      "const s = require('fs').statSync('/etc/app/app.conf'); console.log(s.uid, s.gid, (s.mode & 0o777).toString(8))",
    );
    expect(stat).toEqual({ exitCode: 0, output: '101 101 440\n' });
    // The image is read-only; the volume and the tmpfs are writable, and the files' directory is not read-only (its
    // owner may be root, as on Docker).
    const writes = await inApp(`const fs = require('fs');
      console.log(['/opt/probe', '/var/lib/odoo/probe', '/tmp/probe', '/etc/app/probe'].map((p) => {
        try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } }).join(' '))`);
    expect(writes.output.trim()).toMatch(/^EROFS ok ok (ok|EACCES)$/);
    const hosts = await inApp("console.log(require('fs').readFileSync('/etc/hosts', 'utf8'))");
    expect(hosts.output).toMatch(/^198\.51\.100\.10\s+contract-db$/m);
  });

  it('inspectContainer and listManagedContainers find it by its labels', async () => {
    expect(await info()).toMatchObject({ id: current.id, name: app, state: 'running', specHash: current.specHash });
    const listed = await rt().listManagedContainers({ ...c.labels, 'saas.contract': 'app' });
    expect(listed.map((x) => [x.name, x.id, x.state])).toEqual([[app, current.id, 'running']]);
    expect(await rt().listManagedContainers({ ...c.labels, 'saas.contract': 'none' })).toEqual([]);
    expect(await rt().inspectContainer(c.name('ct-never'))).toBeNull();
  });

  it('ensureContainer: the same spec keeps the container, a changed one (limits and file) replaces it', async () => {
    const same = await rt().ensureContainer(spec);
    expect([same.id, same.startedAt, same.specHash]).toEqual([current.id, current.startedAt, current.specHash]);

    // Limits alone are applied as updateLimits applies them (tested below); with the file changed too, a new container.
    const conf = `${CONF}; second edition\n`;
    const file = { ...(spec.files[0] as ContainerSpec['files'][0]), content: conf };
    spec = { ...spec, limits: { memoryMb: 320, cpuMillis: 300, pids: 120 }, files: [file] };
    const replaced = await rt().ensureContainer(spec);
    expect(replaced).toMatchObject({ name: app, state: 'running', restartCount: 0 });
    expect(replaced.id).not.toBe(current.id);
    expect(replaced.specHash).not.toBe(current.specHash);
    expect(await answer(await c.addressOf(replaced), spec.publish[0]?.hostPort ?? 0)).toBe(conf);
    expect((await rt().stats(app))?.memoryLimitBytes).toBe(320 * MiB);
    current = replaced;
  });

  it('logs, stats, usage and exec of the running container', async () => {
    let text = '';
    for (let i = 0; i < 50 && !text.includes('listening as contract'); i++) {
      text = (await (await rt().logs(app, { tail: 100, follow: false })).toArray()).join('');
      if (!text.includes('listening as contract')) await sleep(200);
    }
    expect(text).toMatch(/^listening as contract$/m);
    const follow = await rt().logs(app, { tail: 10, follow: true });
    const first = await new Promise<Buffer>((resolve, reject) => {
      follow.once('data', resolve);
      follow.once('error', reject);
    });
    follow.destroy();
    expect(first.toString()).toMatch(/listening as contract/);

    const stats = await rt().stats(app);
    expect(stats?.memoryBytes).toBeGreaterThan(0);
    expect(stats?.memoryLimitBytes).toBe(320 * MiB);
    expect(stats?.cpuPercent).toBeGreaterThanOrEqual(0);
    const usage = await rt().usage(app);
    expect(usage?.memoryBytes).toBeGreaterThan(0);
    expect(usage?.memoryLimitBytes).toBe(320 * MiB);
    expect(usage?.cpuSeconds).toBeGreaterThan(0);

    expect(await inApp("console.log('from exec', process.getuid()); process.exit(3)")).toEqual({
      exitCode: 3,
      output: 'from exec 101\n',
    });
    expect((await rt().exec(app, ['/no/such/binary'])).exitCode).not.toBe(0);
  });

  it('stops, starts and restarts (repeats are no-ops), and applies new limits', async () => {
    await rt().stopContainer(app, 5);
    await rt().stopContainer(app, 5);
    expect(await info()).toMatchObject({ state: 'exited', specHash: current.specHash });
    expect(await rt().stats(app)).toBeNull();
    expect(await rt().usage(app)).toBeNull();
    await expect(inApp('0')).rejects.toMatchObject({ name: 'RuntimeError', details: { statusCode: 409 } });
    await expect(answer(await c.addressOf(current), spec.publish[0]?.hostPort ?? 0, 0)).rejects.toThrow();

    await rt().startContainer(app);
    await rt().startContainer(app);
    const started = await info();
    expect(started).toMatchObject({ state: 'running', specHash: current.specHash });
    if (c.differences.restartedContainer === 'same') expect(started.id).toBe(current.id);
    else expect(started.id).not.toBe(current.id);
    // Up first: a process still starting has no SIGTERM handler yet, and the engine would wait out the timeout.
    expect(await answer(await c.addressOf(started), spec.publish[0]?.hostPort ?? 0)).toMatch(/second edition/);

    await rt().restartContainer(app);
    const restarted = await info();
    expect(restarted).toMatchObject({ state: 'running', specHash: current.specHash, restartCount: 0 });
    if (c.differences.restartedContainer === 'same') expect(restarted.id).toBe(started.id);
    else expect(restarted.id).not.toBe(started.id);
    expect(await answer(await c.addressOf(restarted), spec.publish[0]?.hostPort ?? 0)).toMatch(/second edition/);

    await rt().updateLimits(app, { memoryMb: 200, cpuMillis: 250, pids: 90 });
    const updated = await info();
    expect(updated.state).toBe('running');
    if (c.differences.limitsChange === 'in-place') expect(updated.id).toBe(restarted.id);
    else expect(updated.id).not.toBe(restarted.id);
    expect((await rt().stats(app))?.memoryLimitBytes).toBe(200 * MiB);
    current = updated;
  });

  it('throws a RuntimeError for what is not there', async () => {
    const missing = c.name('ct-missing');
    const notFound = { name: 'RuntimeError', details: { statusCode: 404 } };
    await expect(rt().startContainer(missing)).rejects.toMatchObject(notFound);
    await expect(rt().restartContainer(missing)).rejects.toMatchObject(notFound);
    await expect(rt().updateLimits(missing, spec.limits)).rejects.toMatchObject(notFound);
    await expect(rt().logs(missing, { tail: 10, follow: false })).rejects.toMatchObject(notFound);
    await expect(rt().exec(missing, [NODE, '-e', '0'])).rejects.toMatchObject(notFound);
    const absent = c.name('ct-never');
    await expect(rt().exportVolumeDir(absent, 'x', await tempDir(), c.image)).rejects.toMatchObject(notFound);
    await expect(rt().importVolumeDir(absent, 'x', await tempDir(), c.image)).rejects.toMatchObject(notFound);
    await expect(rt().copyBetweenVolumes({ volume: absent, path: 'x' }, { volume: data, path: 'y' }, c.image)).rejects.toMatchObject(
      notFound,
    );
    // Nothing was made for them.
    expect(await rt().volumeExists(absent)).toBe(false);
    expect(await rt().stats(missing)).toBeNull();
    expect(await rt().usage(missing)).toBeNull();
  });

  it('removeContainer leaves nothing (twice), and the volume and network then go', async () => {
    await rt().removeContainer(app);
    await rt().removeContainer(app);
    await rt().stopContainer(app);
    expect(await rt().inspectContainer(app)).toBeNull();
    expect(await rt().listManagedContainers(c.labels)).toEqual([]);
    await expect(answer(await c.addressOf(current), spec.publish[0]?.hostPort ?? 0, 0)).rejects.toThrow();

    await rt().removeVolume(data);
    expect(await rt().volumeExists(data)).toBe(false);
    await rt().removeNetwork(net);
    expect(await rt().listNetworks(c.labels)).toEqual([]);
  });
}
