import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { specHash } from './docker-spec.js';

/**
 * Runs against the real engine with the Odoo stand-in image that the global setup builds: Node-based, no shell
 * or coreutils, uid 101, the official image's entrypoint, paths and VOLUMEs.
 */
const IMAGE = 'odoo-standin:18.0';
const RUN = `saas-test-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = { 'saas.test-run': RUN };
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

const runtime = new DockerRuntime();
const docker = runtime.docker;
const image = IMAGE;

const n = (suffix: string) => `${RUN}-${suffix}`;

async function imageExists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

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

const randomSubnet = () => `10.250.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 16) * 16}/28`;

/** Creates a network on a random /28 of 10.250.0.0/16, moving on when another run holds that one. */
async function createNetwork(name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const subnet = randomSubnet();
    try {
      await runtime.ensureNetwork({ name, subnet, labels: RUN_LABEL });
      return subnet;
    } catch (err) {
      if (attempt >= 20 || !(err instanceof RuntimeError) || !/overlap/i.test(err.message)) throw err;
    }
  }
}

function oneOff(suffix: string, script: string, mounts: ContainerSpec['mounts'] = []) {
  return runtime.runOneOff(
    {
      name: n(suffix),
      image,
      entrypoint: ['node'],
      command: ['-e', script],
      env: { PASSWORD },
      labels: RUN_LABEL,
      network: n('net'),
      mounts,
      files: [],
      limits: { memoryMb: 128, cpuMillis: 500, pids: 64 },
      user: '101:101',
      extraHosts: [],
    },
    20_000,
  );
}

async function cleanup(): Promise<void> {
  const filters = { label: [`saas.test-run=${RUN}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((net) =>
      docker
        .getNetwork(net.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}

beforeAll(async () => {
  if (!(await imageExists(IMAGE))) throw new Error(`${IMAGE} is missing: the global setup builds it (test/fixtures/odoo-standin)`);
  await createNetwork(n('net'));
});

afterAll(cleanup, 60_000);

describe('specHash', () => {
  const base: ContainerSpec = {
    name: 'x',
    image: 'i',
    command: ['odoo'],
    env: { A: '1', B: '2' },
    labels: { l: 'v' },
    network: 'n',
    mounts: [],
    files: [{ path: '/etc/odoo/odoo.conf', content: 'a', mode: 0o640, uid: 101, gid: 101 }],
    limits: { memoryMb: 512, cpuMillis: 1000, pids: 256 },
    user: '101:101',
    publish: [],
    extraHosts: [],
    restart: 'unless-stopped',
  };
  it('ignores key order and limits, follows content, files and the image id', () => {
    const hash = specHash(base, 'sha256:1');
    expect(specHash({ ...base, env: { B: '2', A: '1' }, limits: { memoryMb: 1024, cpuMillis: 1, pids: 1 } }, 'sha256:1')).toBe(hash);
    expect(specHash(base, 'sha256:2')).not.toBe(hash);
    expect(specHash({ ...base, files: [{ ...base.files[0], content: 'b' } as ContainerSpec['files'][number]] }, 'sha256:1')).not.toBe(hash);
    expect(specHash({ ...base, env: { A: '1', B: '3' } }, 'sha256:1')).not.toBe(hash);
  });
});

describe('networks', () => {
  it('creates once, refuses another subnet under the same name, removes twice', async () => {
    const name = n('net-a');
    const subnet = await createNetwork(name);
    await runtime.ensureNetwork({ name, subnet, labels: RUN_LABEL });
    const raw = await docker.getNetwork(name).inspect();
    expect(raw.Driver).toBe('bridge');
    expect(raw.Internal).toBe(false);
    expect(raw.Labels).toMatchObject({ 'saas.managed': 'true', ...RUN_LABEL });

    const listed = await runtime.listNetworks(RUN_LABEL);
    expect(listed).toContainEqual({ name, subnet, labels: expect.objectContaining(RUN_LABEL) });

    const other = subnet === '10.250.255.240/28' ? '10.250.255.224/28' : '10.250.255.240/28';
    await expect(runtime.ensureNetwork({ name, subnet: other, labels: RUN_LABEL })).rejects.toThrow(/exists with subnet/);

    // Another name on the same subnet: the engine's own reason comes through.
    const clash = runtime.ensureNetwork({ name: n('net-b'), subnet, labels: RUN_LABEL });
    await expect(clash).rejects.toBeInstanceOf(RuntimeError);
    await expect(clash).rejects.toThrow(/overlap/i);

    await runtime.removeNetwork(name);
    await runtime.removeNetwork(name);
    expect((await runtime.listNetworks(RUN_LABEL)).map((x) => x.name)).not.toContain(name);
  });
});

describe('volumes', () => {
  it('creates once, reports usage, removes twice', async () => {
    const name = n('vol-a');
    await runtime.ensureVolume(name, RUN_LABEL);
    await runtime.ensureVolume(name, RUN_LABEL);
    expect(await runtime.volumeExists(name)).toBe(true);
    const usage = await runtime.volumeUsage(name);
    expect(usage === null || usage >= 0).toBe(true);
    await runtime.removeVolume(name);
    await runtime.removeVolume(name);
    expect(await runtime.volumeExists(name)).toBe(false);
  });
});

describe('containers', () => {
  const CONF = `[options]\ndb_host = db\ndb_password = ${PASSWORD}\n`;
  let spec: ContainerSpec;
  let firstId = '';

  beforeAll(async () => {
    await runtime.ensureVolume(n('data'), RUN_LABEL);
    spec = {
      name: n('odoo'),
      image,
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

  it('kills and removes a one-off that runs too long', async () => {
    const started = Date.now();
    const run = runtime.runOneOff(
      {
        name: n('slow'),
        image,
        entrypoint: ['node'],
        command: ['-e', "console.log('sleeping'); setTimeout(() => {}, 60000)"],
        env: {},
        labels: RUN_LABEL,
        network: n('net'),
        mounts: [],
        files: [],
        limits: { memoryMb: 64, cpuMillis: 250, pids: 32 },
        user: '101:101',
        extraHosts: [],
      },
      1500,
    );
    await expect(run).rejects.toThrow(/did not finish within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await runtime.inspectContainer(n('slow'))).toBeNull();
  });
});

describe('copyBetweenVolumes', () => {
  const LIST = `
    const fs = require('fs'), path = require('path');
    const root = process.argv[1];
    const walk = (p) => { const s = fs.lstatSync(p); const rel = path.relative(root, p); const line = [rel ? './' + rel : '.', s.uid, s.gid, (s.mode & 0o7777).toString(8),
      s.isSymbolicLink() ? '->' + fs.readlinkSync(p) : s.isFile() ? fs.readFileSync(p, 'utf8') : 'dir'].join(' ');
      console.log(line); if (s.isDirectory()) for (const c of fs.readdirSync(p).sort()) walk(path.join(p, c)); };
    walk(root);`;
  const list = async (volume: string, dir: string) => {
    const result = await runtime.runOneOff(
      {
        name: n('list'),
        image,
        entrypoint: ['node'],
        command: ['-e', LIST, dir],
        env: {},
        labels: RUN_LABEL,
        network: n('net'),
        mounts: [{ volume, target: '/v', readOnly: true }],
        files: [],
        limits: { memoryMb: 64, cpuMillis: 500, pids: 32 },
        user: '101:101',
        extraHosts: [],
      },
      20_000,
    );
    expect(result.exitCode).toBe(0);
    return result.output.trim().split('\n');
  };

  it('copies a tree with owners, modes and links, replacing an earlier copy', async () => {
    const [a, b] = [n('vol-src'), n('vol-dst')];
    await runtime.ensureVolume(a, RUN_LABEL);
    await runtime.ensureVolume(b, RUN_LABEL);
    // Filled as uid 101 (the volume root is the image's /var/lib/odoo, owned by 101, copied up on first mount).
    const fill = await oneOff(
      'fill',
      `const fs = require('fs');
       fs.mkdirSync('/var/lib/odoo/filestore/db1/ab', { recursive: true });
       fs.writeFileSync('/var/lib/odoo/filestore/db1/ab/file.bin', 'content-1', { mode: 0o640 });
       fs.chmodSync('/var/lib/odoo/filestore/db1/ab', 0o750);
       fs.symlinkSync('ab/file.bin', '/var/lib/odoo/filestore/db1/link');
       fs.writeFileSync('/var/lib/odoo/filestore/db1/top.txt', 'top');`,
      [{ volume: a, target: '/var/lib/odoo' }],
    );
    expect(fill).toMatchObject({ exitCode: 0 });
    const original = await list(a, '/v/filestore/db1');

    await runtime.copyBetweenVolumes({ volume: a, path: 'filestore/db1' }, { volume: b, path: '/filestore/db2' }, image);
    const copied = await list(b, '/v/filestore/db2');
    expect(copied).toEqual(original);
    expect(copied).toEqual([
      '. 101 101 755 dir',
      './ab 101 101 750 dir',
      './ab/file.bin 101 101 640 content-1',
      './link 101 101 777 ->ab/file.bin',
      './top.txt 101 101 644 top',
    ]);
    // The missing parent was created owned like the copy.
    expect((await list(b, '/v/filestore'))[0]).toBe('. 101 101 755 dir');

    // A stale file in the destination disappears on the next copy.
    const stale = await oneOff('stale', "require('fs').writeFileSync('/d/filestore/db2/stale.txt', 'old')", [{ volume: b, target: '/d' }]);
    expect(stale.exitCode).toBe(0);
    await runtime.copyBetweenVolumes({ volume: a, path: 'filestore/db1' }, { volume: b, path: 'filestore/db2' }, image);
    expect(await list(b, '/v/filestore/db2')).toEqual(original);

    // Within one volume.
    await runtime.copyBetweenVolumes({ volume: a, path: 'filestore/db1' }, { volume: a, path: 'filestore/db1-copy' }, image);
    expect(await list(a, '/v/filestore/db1-copy')).toEqual(original);

    await expect(runtime.copyBetweenVolumes({ volume: a, path: 'nope' }, { volume: b, path: 'x' }, image)).rejects.toMatchObject({
      details: { statusCode: 404 },
    });
    await expect(
      runtime.copyBetweenVolumes({ volume: a, path: 'filestore' }, { volume: a, path: 'filestore/db1/x' }, image),
    ).rejects.toThrow(/overlap/);
    await expect(runtime.copyBetweenVolumes({ volume: a, path: '../etc' }, { volume: b, path: 'x' }, image)).rejects.toThrow(/inside/);
    // The helper containers are gone.
    expect(await docker.listContainers({ all: true, filters: { volume: [a] } })).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { volume: [b] } })).toEqual([]);
  });
});
