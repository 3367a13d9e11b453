import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, IMAGE, n, oneOff, PASSWORD, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';

// Against the real engine with the Odoo stand-in image (test/support/docker-runtime.ts). What every driver promises
// (files, same/changed spec, logs, stats, stop/start/restart, one-off timeouts...) is the contract's: docker-runtime.contract.test.ts.
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

  it('applies new limits in place: memory, swap, CPU and pids', async () => {
    spec = { ...spec, limits: { memoryMb: 320, cpuMillis: 750, pids: 150 } };
    expect((await runtime.ensureContainer(spec)).id).toBe(firstId);
    const updated = (await docker.getContainer(spec.name).inspect()).HostConfig;
    expect([updated.Memory, updated.MemorySwap, updated.NanoCpus, updated.PidsLimit]).toEqual([
      320 * 2 ** 20,
      320 * 2 ** 20,
      750_000_000,
      150,
    ]);

    await runtime.updateLimits(spec.name, { memoryMb: 200, cpuMillis: 250, pids: 90 });
    const host = (await docker.getContainer(spec.name).inspect()).HostConfig;
    expect([host.Memory, host.MemorySwap, host.NanoCpus, host.PidsLimit]).toEqual([200 * 2 ** 20, 200 * 2 ** 20, 250_000_000, 90]);
    expect((await runtime.inspectContainer(spec.name))?.id).toBe(firstId);
  });

  it('keeps env values out of errors', async () => {
    const err = await runtime.ensureContainer({ ...spec, image: 'saas-no-such-image:0' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(/no such image/i);
    expect(JSON.stringify({ ...(err as RuntimeError), message: (err as RuntimeError).message })).not.toContain(PASSWORD);
  });
});

describe('one-off containers', () => {
  it('masks secret env values in the output, and removes the container', async () => {
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
});
