import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, IMAGE, n, oneOff, PASSWORD, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';

// Against the real engine with the Odoo stand-in image (test/support/docker-runtime.ts).
useTestRun();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls Odoo's /web/health until it answers 200 (or 10 s pass); returns the last status (0: no answer). */
async function healthStatus(port: number | undefined): Promise<number> {
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = await fetch(`http://127.0.0.1:${port}/web/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) await new Promise((r) => setTimeout(r, 200));
  }
  return status;
}

describe('containers', () => {
  const CONF = `[options]\ndb_host = db\ndb_password = ${PASSWORD}\n`;
  let spec: ContainerSpec;
  let firstId = '';

  beforeAll(async () => {
    await runtime.ensureVolume(n('data'), RUN_LABEL);
    spec = {
      name: n('odoo'),
      image: IMAGE,
      // Odoo itself rather than the entrypoint, which would first wait 30 s for a PostgreSQL this test has not.
      command: ['/usr/bin/odoo', '--config', '/etc/odoo/odoo.conf'],
      env: { HOST: 'db', PORT: '5432', USER: 'odoo_test', PASSWORD },
      labels: { ...RUN_LABEL, 'saas.instance.id': 'test' },
      network: n('net'),
      mounts: [{ volume: n('data'), target: '/var/lib/odoo' }],
      files: [{ path: '/etc/odoo/odoo.conf', content: CONF, mode: 0o640, uid: 101, gid: 101 }],
      limits: { memoryMb: 256, cpuMillis: 500, pids: 128 },
      user: '101:101',
      publish: [{ containerPort: 8069, hostPort: await freePort() }],
      extraHosts: ['host.docker.internal:host-gateway'],
      restart: 'unless-stopped',
    };
  });

  it('creates a hardened, running container', async () => {
    const info = await runtime.ensureContainer(spec);
    firstId = info.id;
    expect(info).toMatchObject({ name: spec.name, state: 'running', exitCode: null });
    expect(info.specHash).toMatch(/^[0-9a-f]{64}$/);

    const raw = await docker.getContainer(spec.name).inspect();
    const host = raw.HostConfig;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toContain('no-new-privileges:true');
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.MemorySwap).toBe(256 * 1024 * 1024);
    expect(host.NanoCpus).toBe(500_000_000);
    expect(host.PidsLimit).toBe(128);
    expect(host.RestartPolicy?.Name).toBe('unless-stopped');
    expect(host.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(host.PortBindings?.['8069/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(spec.publish[0]?.hostPort) }]);
    expect(raw.Config.User).toBe('101:101');
    expect(raw.Config.Labels).toMatchObject({ 'saas.managed': 'true', 'saas.spec-hash': info.specHash, ...spec.labels });
    expect(Object.keys(raw.NetworkSettings.Networks)).toEqual([spec.network]);
    expect(raw.Mounts).toContainEqual(expect.objectContaining({ Type: 'volume', Name: n('data'), Destination: '/var/lib/odoo' }));

    // Published on loopback only, and serving.
    expect(await healthStatus(spec.publish[0]?.hostPort)).toBe(200);
  });

  it('wrote the files with their owner and mode', async () => {
    const read = await runtime.exec(spec.name, [
      'node',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/etc/odoo/odoo.conf','utf8'))",
    ]);
    expect(read).toEqual({ exitCode: 0, output: CONF });
    const stat = await runtime.exec(spec.name, [
      'node',
      '-e',
      "const s=require('fs').statSync('/etc/odoo/odoo.conf');console.log(s.uid,s.gid,(s.mode&0o777).toString(8))",
    ]);
    expect(stat.output.trim()).toBe('101 101 640');
    expect(await runtime.exec(spec.name, ['node', '-e', 'process.exit(3)'])).toMatchObject({ exitCode: 3 });
    expect((await runtime.exec(spec.name, ['/no/such/binary'])).exitCode).not.toBe(0);
  });

  it('keeps the container for the same spec, updates limits in place, recreates on change', async () => {
    expect((await runtime.ensureContainer(spec)).id).toBe(firstId);

    spec = { ...spec, limits: { memoryMb: 320, cpuMillis: 750, pids: 150 } };
    const sameId = await runtime.ensureContainer(spec);
    expect(sameId.id).toBe(firstId);
    const updated = (await docker.getContainer(spec.name).inspect()).HostConfig;
    expect([updated.Memory, updated.MemorySwap, updated.NanoCpus, updated.PidsLimit]).toEqual([
      320 * 2 ** 20,
      320 * 2 ** 20,
      750_000_000,
      150,
    ]);

    spec = { ...spec, env: { ...spec.env, PORT: '5433' } };
    const recreated = await runtime.ensureContainer(spec);
    expect(recreated.id).not.toBe(firstId);
    expect(recreated.specHash).not.toBe(sameId.specHash);
    expect(recreated.state).toBe('running');
    firstId = recreated.id;
  });

  it('lists managed containers by label', async () => {
    const listed = await runtime.listManagedContainers(RUN_LABEL);
    expect(listed.map((c) => c.id)).toContain(firstId);
    expect(listed.find((c) => c.id === firstId)).toMatchObject({ name: spec.name, state: 'running', restartCount: 0 });
    expect(listed.every((c) => c.labels['saas.managed'] === 'true')).toBe(true);
  });

  it('reports stats and logs', async () => {
    const stats = await runtime.stats(spec.name);
    expect(stats?.memoryBytes).toBeGreaterThan(0);
    expect(stats?.memoryLimitBytes).toBe(320 * 2 ** 20);
    expect(stats?.cpuPercent).toBeGreaterThanOrEqual(0);

    await runtime.exec(spec.name, ['node', '-e', 'console.log("hello from exec")']);
    let text = '';
    for (let i = 0; i < 50 && text === ''; i++) {
      text = Buffer.concat(await (await runtime.logs(spec.name, { tail: 100, follow: false })).toArray()).toString();
      if (text === '') await new Promise((r) => setTimeout(r, 200));
    }
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain('\u0001\u0000\u0000\u0000');

    const follow = await runtime.logs(spec.name, { tail: 10, follow: true });
    const first = await new Promise<Buffer>((resolve, reject) => {
      follow.once('data', resolve);
      follow.once('error', reject);
    });
    expect(first.length).toBeGreaterThan(0);
    follow.destroy();
  });

  it('stops, starts, restarts and tolerates repeats', async () => {
    await runtime.stopContainer(spec.name, 5);
    await runtime.stopContainer(spec.name, 5);
    expect(await runtime.inspectContainer(spec.name)).toMatchObject({ state: 'exited' });
    expect(await runtime.stats(spec.name)).toBeNull();
    await runtime.startContainer(spec.name);
    await runtime.startContainer(spec.name);
    // Up first: a process still starting has no SIGTERM handler yet, and the engine would wait out the timeout.
    expect(await healthStatus(spec.publish[0]?.hostPort)).toBe(200);
    await runtime.restartContainer(spec.name);
    expect(await runtime.inspectContainer(spec.name)).toMatchObject({ state: 'running', id: firstId });

    await runtime.updateLimits(spec.name, { memoryMb: 200, cpuMillis: 250, pids: 90 });
    const host = (await docker.getContainer(spec.name).inspect()).HostConfig;
    expect([host.Memory, host.MemorySwap, host.NanoCpus, host.PidsLimit]).toEqual([200 * 2 ** 20, 200 * 2 ** 20, 250_000_000, 90]);

    await runtime.removeContainer(spec.name);
    await runtime.removeContainer(spec.name);
    await runtime.stopContainer(spec.name);
    expect(await runtime.inspectContainer(spec.name)).toBeNull();
    await expect(runtime.startContainer(spec.name)).rejects.toMatchObject({ details: { statusCode: 404 } });
  });

  it('keeps env values out of errors', async () => {
    const err = await runtime.ensureContainer({ ...spec, image: 'saas-no-such-image:0' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(/no such image/i);
    expect(JSON.stringify({ ...(err as RuntimeError), message: (err as RuntimeError).message })).not.toContain(PASSWORD);
  });
});

describe('one-off containers', () => {
  it('returns exit code and output, masks secrets, and removes the container', async () => {
    const result = await oneOff('once', "console.log('to stdout'); console.error('to stderr ' + process.env.PASSWORD); process.exit(7)");
    expect(result.exitCode).toBe(7);
    expect(result.output).toContain('to stdout');
    expect(result.output).toContain('to stderr ***');
    expect(result.output).not.toContain(PASSWORD);
    expect(await runtime.inspectContainer(n('once'))).toBeNull();
  });

  it('keeps only the last 64 KiB of output', async () => {
    const result = await oneOff('loud', "for (let i = 0; i < 3000; i++) console.log(String(i).padStart(6, '0') + 'x'.repeat(60))");
    expect(result.exitCode).toBe(0);
    expect(Buffer.byteLength(result.output)).toBeLessThanOrEqual(64 * 1024);
    expect(result.output.trimEnd().endsWith(`002999${'x'.repeat(60)}`)).toBe(true);
  });

  it('reports a one-off stopped from outside (as by the engine shutting down) as an engine error, not as its own exit', async () => {
    const run = oneOff('stopped', "process.on('SIGTERM', () => {}); setTimeout(() => {}, 60000)", [], 30_000);
    const deadline = Date.now() + 10_000;
    while ((await runtime.inspectContainer(n('stopped')))?.state !== 'running' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    // `docker stop`: SIGTERM (ignored here), then SIGKILL after a second.
    await docker.getContainer(n('stopped')).stop({ t: 1 });
    await expect(run).rejects.toMatchObject({ name: 'RuntimeError', message: expect.stringMatching(/stopped from outside \(exit 137/) });
    expect(await runtime.inspectContainer(n('stopped'))).toBeNull();
  });

  it('kills and removes a one-off that runs too long', async () => {
    const started = Date.now();
    const run = oneOff('slow', "console.log('sleeping'); setTimeout(() => {}, 60000)", [], 1500);
    await expect(run).rejects.toThrow(/did not finish within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await runtime.inspectContainer(n('slow'))).toBeNull();
  });
});
