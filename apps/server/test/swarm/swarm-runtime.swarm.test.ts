import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerInfo, ContainerSpec } from '../../src/runtime/instance-runtime.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { NODE_LABEL } from '../../src/runtime/swarm/swarm-spec.js';
import { RESERVE_MEMORY_LABEL } from '../../src/runtime/swarm/swarm-volumes.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from '../support/swarm-lab.js';

/**
 * What only the Swarm InstanceRuntime does, on the lab (three nodes, the stand-in image loaded): nodes with their
 * lab addresses, two instances placed by memory each on its volume's node and answering on that node's address, a
 * copy across nodes, a changed file's secret replaced, two instances' overlays kept apart, and removal leaving
 * nothing on any node. The interface's promises common to both drivers (same/changed spec, stop/start/restart,
 * volumes, one-offs...) are the contract's: swarm-runtime-contract.swarm.test.ts. Timings are printed at the end.
 */
const IMAGE = 'odoo-standin:18.0';
const MANAGED = { 'saas.managed': 'true' };
// The stand-in has node but no shell: a listener that shows its node and the file delivered as a secret.
const LISTENER = `const fs = require('fs'); require('http').createServer((q, s) => s.end(require('os').hostname() + ' ' +
  fs.readFileSync('/etc/app/app.conf', 'utf8'))).listen(8080); process.on('SIGTERM', () => process.exit(0));`;

const instances = { a: { port: 20001, subnet: '10.241.1.0/28' }, b: { port: 20002, subnet: '10.241.2.0/28' } } as const;
type Key = keyof typeof instances;

function spec(key: Key, conf = `conf ${key}`): ContainerSpec {
  return {
    name: `rt-odoo-${key}`,
    image: IMAGE,
    entrypoint: ['/usr/local/bin/node'],
    command: ['-e', LISTENER],
    env: { INSTANCE: key },
    labels: { ...MANAGED, 'saas.instance.id': key },
    network: `rt-net-${key}`,
    mounts: [{ volume: `rt-data-${key}`, target: '/var/lib/odoo' }],
    files: [{ path: '/etc/app/app.conf', content: conf, mode: 0o440, uid: 101, gid: 101 }],
    limits: { memoryMb: 256, cpuMillis: 250, pids: 100 },
    user: '101:101',
    publish: [{ containerPort: 8080, hostPort: instances[key].port }],
    extraHosts: [],
    restart: 'unless-stopped',
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', sizeMb: 16 }],
  };
}

let lab: SwarmLab | undefined;
let runtime: SwarmRuntime;
const measured: Record<string, number> = {};

function theLab(): SwarmLab {
  if (!lab) throw new Error('the swarm lab did not come up');
  return lab;
}

async function timed<T>(what: string, call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await call();
  } finally {
    measured[what] = Math.round(performance.now() - t0);
  }
}

/** The lab node an instance's service is pinned to. */
async function nodeOf(key: Key) {
  const info = await runtime.inspectContainer(`rt-odoo-${key}`);
  const nodeId = info?.nodeId;
  expect(info?.labels[NODE_LABEL]).toBe(nodeId);
  const node = (await runtime.listNodes()).find((n) => n.id === nodeId);
  if (!node?.address) throw new Error(`no node for ${key}`);
  return { ...node, address: node.address, lab: theLab().node(node.name) };
}

/** What the instance answers on its node's address and published port (the process may take a moment to listen). */
async function answer(key: Key, timeoutMs = 5_000): Promise<string> {
  const { address } = await nodeOf(key);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://${address}:${instances[key].port}/`, { signal: AbortSignal.timeout(2_000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

beforeAll(async () => {
  lab = await timed('labUpMs', () => startSwarmLab({ images: [IMAGE] }));
  runtime = new SwarmRuntime({
    manager: lab.manager.docker,
    nodeEngines: Object.fromEntries(lab.nodes.map((n) => [n.name, n.docker])),
    defaultReservation: { memoryMb: 256, cpuMillis: 250 },
    taskStartTimeoutMs: 30_000,
  });
});

afterAll(async () => {
  console.info('swarm runtime measurements', JSON.stringify(measured));
  await (lab ? lab.stop() : stopSwarmLab());
});

describe('SwarmRuntime on the lab', () => {
  it('lists the three nodes, ready, with their capacity and lab addresses', async () => {
    const nodes = await runtime.listNodes();
    expect(nodes.map((n) => `${n.name} ${n.role} ${n.state} ${n.availability} ${n.address}`)).toEqual(
      theLab().nodes.map((n) => `${n.name} ${n.role} ready active ${n.address}`),
    );
    for (const n of nodes) expect(n.capacity.memoryMb > 0 && n.capacity.cpuMillis >= 1000).toBe(true);
  });

  it('refuses what it cannot place, saying why, before creating anything', async () => {
    await expect(runtime.ensureVolume('rt-data-big', { ...MANAGED, [RESERVE_MEMORY_LABEL]: '10000000' })).rejects.toThrow(
      /no_capacity: Not enough memory/,
    );
    expect(await runtime.volumeExists('rt-data-big')).toBe(false);
    await expect(runtime.ensureContainer({ ...spec('a'), name: 'rt_odoo' })).rejects.toThrow(/DNS label/);
    const lost = { ...spec('a'), mounts: [{ volume: 'rt-data-none', target: '/data' }] };
    await expect(runtime.ensureContainer(lost)).rejects.toMatchObject({ details: { statusCode: 404 } });
  });

  it('places two instances by memory, each on the node of its volume, answering on that node', async () => {
    for (const key of ['a', 'b'] as const) {
      await runtime.ensureNetwork({ name: `rt-net-${key}`, subnet: instances[key].subnet, labels: MANAGED });
      // The reservation placement counts for this instance (its service reserves its limits once it exists).
      // Seeded as provisioning does: the image's /var/lib/odoo (owned by its odoo user) is copied in first.
      await runtime.ensureVolume(`rt-data-${key}`, { ...MANAGED, [RESERVE_MEMORY_LABEL]: '256' }, { image: IMAGE, path: '/var/lib/odoo' });
      const info = await timed(`create${key.toUpperCase()}Ms`, () => runtime.ensureContainer(spec(key)));
      expect(info).toMatchObject({ name: `rt-odoo-${key}`, state: 'running', restartCount: 0, exitCode: null });
    }
    const [a, b] = [await nodeOf('a'), await nodeOf('b')];
    // Memory first: the second instance goes where the first one reserves nothing.
    expect(b.id).not.toBe(a.id);
    for (const [key, node] of [['a', a] as const, ['b', b] as const]) {
      const volume = await node.lab.docker.getVolume(`rt-data-${key}`).inspect();
      expect(volume.Labels?.[NODE_LABEL]).toBe(node.id);
      // Only there: the instance lives where its volume is.
      for (const other of theLab().nodes.filter((n) => n.name !== node.name)) {
        await expect(other.docker.getVolume(`rt-data-${key}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
      }
      expect(await answer(key)).toMatch(new RegExp(`^\\w+ conf ${key}$`));
    }
    expect((await runtime.listManagedContainers({ 'saas.instance.id': 'a' })).map((c) => c.name)).toEqual(['rt-odoo-a']);
  });

  it('runs a one-off on the node of its volume, on the instance overlay, and copies a directory across nodes', async () => {
    const oneOff = (key: Key, code: string) => {
      const { publish: _publish, restart: _restart, ...rest } = spec(key);
      return runtime.runOneOff({ ...rest, name: `rt-once-${key}`, files: [], readOnlyRootfs: false, command: ['-e', code] }, 30_000);
    };
    const write = `const fs = require('fs'); fs.mkdirSync('/var/lib/odoo/filestore/x', { recursive: true });
      fs.writeFileSync('/var/lib/odoo/filestore/x/f.txt', 'from b'); fetch('http://rt-odoo-b:8080/').then((r) => r.text()).then(console.log)`;
    // The one-off joins the attachable overlay on its node and finds the instance by its service name.
    expect(await timed('oneOffMs', () => oneOff('b', write))).toMatchObject({ exitCode: 0, output: expect.stringMatching(/ conf b\n$/) });
    await timed('crossNodeCopyMs', () =>
      runtime.copyBetweenVolumes({ volume: 'rt-data-b', path: 'filestore/x' }, { volume: 'rt-data-a', path: 'filestore/y' }, IMAGE),
    );
    const read = `const s = require('fs').statSync('/var/lib/odoo/filestore/y/f.txt');
      console.log(require('fs').readFileSync('/var/lib/odoo/filestore/y/f.txt', 'utf8'), s.uid)`;
    expect((await oneOff('a', read)).output).toBe('from b 101\n');
  });

  it("replaces a changed file's secret with its task", async () => {
    const before = (await runtime.inspectContainer('rt-odoo-a')) as ContainerInfo;
    const changed = await timed('replaceMs', () => runtime.ensureContainer(spec('a', 'conf a, second edition')));
    expect(changed.id).not.toBe(before.id);
    expect(await answer('a')).toMatch(/ conf a, second edition$/);
    // The first edition's secret went with its task.
    const secrets = await theLab().manager.docker.listSecrets();
    expect(secrets.filter((s) => s.Spec?.Name?.startsWith('rt-odoo-a-'))).toHaveLength(1);
  });

  it('keeps two instances apart: no route from one overlay to the other', async () => {
    const tasks = await theLab().manager.docker.listTasks({
      filters: JSON.stringify({ service: ['rt-odoo-b'], 'desired-state': ['running'] }),
    });
    const attachments = (tasks[0]?.NetworksAttachments ?? []) as { Network: { Spec: { Name: string } }; Addresses: string[] }[];
    const address = attachments.find((n) => n.Network.Spec.Name === 'rt-net-b')?.Addresses[0]?.split('/')[0];
    expect(address).toMatch(/^10\.241\.2\./);
    const probe = `fetch('http://${address}:8080/', { signal: AbortSignal.timeout(3000) }).then(
      (r) => console.log('reached', r.status), (e) => console.log('blocked', e.cause?.code ?? e.name))`;
    const result = await runtime.exec('rt-odoo-a', ['/usr/local/bin/node', '-e', probe]);
    expect(result.output).toMatch(/^blocked /);
  });

  it('removes services, volumes, networks and secrets, leaving nothing on any node', async () => {
    await timed('removeMs', () =>
      Promise.all(
        (['a', 'b'] as const).map(async (key) => {
          await runtime.removeContainer(`rt-odoo-${key}`);
          await runtime.removeVolume(`rt-data-${key}`);
          await runtime.removeNetwork(`rt-net-${key}`);
        }),
      ),
    );
    expect(await runtime.listManagedContainers({})).toEqual([]);
    expect(await runtime.listNetworks(MANAGED)).toEqual([]);
    expect(await runtime.volumeExists('rt-data-a')).toBe(false);
    expect(await theLab().manager.docker.listSecrets()).toEqual([]);
    for (const node of theLab().nodes) {
      expect(await node.docker.listContainers({ all: true })).toEqual([]);
      expect((await node.docker.listVolumes()).Volumes ?? []).toEqual([]);
    }
  });
});
