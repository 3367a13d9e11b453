import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TEST_LAB,
  type SwarmLab,
  type SwarmLabNode,
  startSwarmLab,
  stopSwarmLab,
  swarmLabLeftovers,
} from '../support/swarm-lab.js';

/**
 * The swarm lab itself (scripts/swarm-lab.sh): three dockerd daemons in namespaces form a swarm, a dnsrr service
 * spreads over them with host-mode ports reachable from the host, the overlay carries DNS and traffic between
 * nodes, a node whose dockerd is killed is marked Down and its task moves, a lost node's containers stop
 * answering, and teardown leaves nothing. The measurements are printed at the end.
 */
const exec = promisify(execFile);
const IMAGE = 'odoo-standin:18.0';
const NET = 'labnet';
const PORT = 8080;
// The stand-in image has node but no shell. Its hostname is the node's (the service sets {{.Node.Hostname}}).
const LISTENER = `require('http').createServer((q, s) => s.end(require('os').hostname())).listen(${PORT}); process.on('SIGTERM', () => process.exit(0));`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(200);
  }
}

async function fetchText(url: string, timeoutMs = 3_000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return res.text();
}

let lab: SwarmLab | undefined;
const measured: Record<string, number | number[]> = {};

function theLab(): SwarmLab {
  if (!lab) throw new Error('the swarm lab did not come up');
  return lab;
}

/** A replicated dnsrr service of the HTTP listener on the lab's overlay, its port published in host mode. */
function listenerService(name: string, replicas: number, constraints: string[] = []) {
  return theLab().manager.docker.createService({
    Name: name,
    TaskTemplate: {
      ContainerSpec: { Image: IMAGE, Command: ['/usr/local/bin/node', '-e', LISTENER], Hostname: '{{.Node.Hostname}}' },
      RestartPolicy: { Condition: 'any', Delay: 500_000_000 },
      Placement: { Constraints: constraints },
      Networks: [{ Target: NET }],
    },
    Mode: { Replicated: { Replicas: replicas } },
    // No IPVS in this kernel: no VIP and no routing mesh. No published port either: a fixed one would block
    // rescheduling while replicas equal nodes; the engine picks one per task.
    EndpointSpec: { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: PORT, PublishMode: 'host' }] },
  });
}

interface RunningTask {
  id: string;
  node: string;
  port: number;
}

/** The service's tasks that are meant to run and do, with their node's hostname and published port. */
async function runningTasks(service: string): Promise<RunningTask[]> {
  const docker = theLab().manager.docker;
  const [tasks, nodes] = await Promise.all([
    docker.listTasks({ filters: JSON.stringify({ service: [service], 'desired-state': ['running'] }) }),
    docker.listNodes(),
  ]);
  const hostname = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? '']));
  return tasks
    .filter((t) => t.Status?.State === 'running')
    .map((t) => ({
      id: t.ID ?? '',
      node: hostname.get(t.NodeID ?? '') ?? '',
      port: t.Status?.PortStatus?.Ports?.[0]?.PublishedPort ?? 0,
    }));
}

async function swarmState(node: SwarmLabNode): Promise<string | undefined> {
  const nodes = await theLab().manager.docker.listNodes();
  return nodes.find((n) => n.Description?.Hostname === node.name)?.Status?.State;
}

beforeAll(async () => {
  const t0 = now();
  lab = await startSwarmLab({ images: [IMAGE] });
  measured.bringUpMs = Math.round(now() - t0);
});

afterAll(async () => {
  console.info('swarm lab measurements', JSON.stringify(measured));
  await (lab ? lab.stop() : stopSwarmLab());
});

describe('the swarm lab', () => {
  it('forms a swarm of three Ready nodes, each its own engine with the image loaded', async () => {
    const { nodes, manager } = theLab();
    const swarmNodes = await manager.docker.listNodes();
    expect(swarmNodes.map((n) => `${n.Description?.Hostname} ${n.Status?.State} ${n.Spec?.Role}`).sort()).toEqual(
      nodes.map((n, i) => `${n.name} ready ${i === 0 ? 'manager' : 'worker'}`),
    );
    expect(new Set(swarmNodes.map((n) => n.Status?.Addr))).toEqual(new Set(nodes.map((n) => n.address)));
    const infos = await Promise.all(nodes.map((n) => n.docker.info()));
    // Own engine keys: with a shared one every node would report the same engine ID.
    expect(new Set(infos.map((i) => i.ID)).size).toBe(3);
    expect(infos.map((i) => i.Name)).toEqual(nodes.map((n) => n.name));
    for (const n of nodes) expect((await n.docker.getImage(IMAGE).inspect()).RepoTags).toContain(IMAGE);
    const status = await theLab().status();
    expect(status.every((s) => s.pid > 0 && s.swarm === 'Ready/Active')).toBe(true);
    measured.rssMiBPerNode = status.map((s) => s.rssMiB);
  });

  it('spreads a dnsrr service over the nodes, each task answering on its node address from the host', async () => {
    const { manager } = theLab();
    await manager.docker.createNetwork({ Name: NET, Driver: 'overlay', Attachable: true, CheckDuplicate: true });
    const t0 = now();
    await listenerService('web', 3);
    const tasks = await until('three web tasks running', 45_000, async () => {
      const running = await runningTasks('web');
      return running.length === 3 ? running : undefined;
    });
    measured.serviceRunningMs = Math.round(now() - t0);
    expect(new Set(tasks.map((t) => t.node))).toEqual(new Set(theLab().nodes.map((n) => n.name)));
    for (const task of tasks) {
      expect(task.port).toBeGreaterThan(0);
      // Host mode: the port is the node's own, on its lab address.
      expect(await fetchText(`http://${theLab().node(task.node).address}:${task.port}/`)).toBe(task.node);
    }
  });

  it('resolves and reaches a service on another node over the overlay', async () => {
    const second = theLab().node('n2');
    const third = theLab().node('n3');
    await listenerService('far', 1, [`node.hostname==${third.name}`]);
    await until('the far task running', 30_000, async () => ((await runningTasks('far')).length === 1 ? true : undefined));
    // A container on the second node, attached to the overlay, asks for the far service by name.
    const probe = `const end = Date.now() + 15000; (async function go() { try { const r = await fetch('http://far:${PORT}/');
      console.log('answer:' + (await r.text())); } catch (e) { if (Date.now() > end) { console.log('failed:', e.cause?.code ?? e.message); process.exit(1); }
      setTimeout(go, 300); } })();`;
    const container = await second.docker.createContainer({
      name: 'dns-probe',
      Image: IMAGE,
      Entrypoint: ['/usr/local/bin/node'],
      Cmd: ['-e', probe],
      HostConfig: { NetworkMode: NET },
    });
    try {
      await container.start();
      const result = await until('the probe to exit', 25_000, async () => {
        const state = (await container.inspect()).State;
        return state.Running ? undefined : state;
      });
      const logs = (await container.logs({ stdout: true, stderr: true })).toString();
      expect(logs).toContain(`answer:${third.name}`);
      expect(result.ExitCode).toBe(0);
    } finally {
      await container.remove({ force: true });
      await theLab().manager.docker.getService('far').remove();
    }
  });

  it('marks a worker whose dockerd was killed Down and runs its task elsewhere; its container keeps running', async () => {
    const victim = theLab().node('n3');
    expect(victim.role).toBe('worker');
    const before = (await runningTasks('web')).find((t) => t.node === victim.name);
    if (!before) throw new Error(`no web task on ${victim.name}`);
    const t0 = now();
    await theLab().kill(victim, 'daemon');
    await until(`${victim.name} marked down`, 20_000, async () => ((await swarmState(victim)) === 'down' ? true : undefined));
    const down = now();
    measured.daemonKillDownMs = Math.round(down - t0);
    const moved = await until('the web task rescheduled', 20_000, async () => {
      const others = (await runningTasks('web')).filter((t) => t.node !== victim.name);
      return others.length === 3 ? others : undefined;
    });
    measured.daemonKillRescheduleMs = Math.round(now() - down);
    expect(measured.daemonKillDownMs).toBeLessThan(15_000);
    // A task is "running" once its process started; the stand-in may take a moment more to listen.
    for (const task of moved) {
      const url = `http://${theLab().node(task.node).address}:${task.port}/`;
      expect(await until(`${url} answers`, 10_000, () => fetchText(url))).toBe(task.node);
    }
    // Only dockerd died: the old container still answers on the node.
    expect(await fetchText(`http://${victim.address}:${before.port}/`)).toBe(victim.name);
  });

  it('brings the killed node back, then loses a node for real: link down and its containers gone', async () => {
    const victim = theLab().node('n2');
    const restored = theLab().node('n3');
    const t0 = now();
    await theLab().restore(restored);
    await until(`${restored.name} ready again`, 30_000, async () => ((await swarmState(restored)) === 'ready' ? true : undefined));
    measured.restoreReadyMs = Math.round(now() - t0);

    const before = (await runningTasks('web')).find((t) => t.node === victim.name);
    if (!before) throw new Error(`no web task on ${victim.name}`);
    const t1 = now();
    await theLab().kill(victim, 'loss');
    await until(`${victim.name} marked down`, 20_000, async () => ((await swarmState(victim)) === 'down' ? true : undefined));
    const down = now();
    measured.lossDownMs = Math.round(down - t1);
    // Slower than after a daemon kill: the node taking the task joins the overlay and its gossip first tries
    // the lost node (a TCP dial that times out after 10 s instead of being refused).
    await until('the web tasks rescheduled', 30_000, async () => {
      const others = (await runningTasks('web')).filter((t) => t.node !== victim.name);
      return others.length === 3 ? others : undefined;
    });
    measured.lossRescheduleMs = Math.round(now() - down);
    await expect(fetchText(`http://${victim.address}:${before.port}/`, 2_000)).rejects.toThrow();
    const status = await theLab().status();
    expect(status.find((s) => s.name === victim.name)?.pid).toBe(0);
  });

  it('tears down leaving no namespace, daemon, mount or rule behind', async () => {
    const t0 = now();
    await theLab().stop();
    measured.teardownMs = Math.round(now() - t0);
    expect(await swarmLabLeftovers()).toEqual([]);
    const { stdout } = await exec('iptables-save', [], { timeout: 10_000 });
    expect(stdout).not.toContain(DEFAULT_TEST_LAB.subnet.replace(/0\/24$/, ''));
    // The overlay lived only inside the lab's engines.
    expect((await new Docker().listNetworks()).map((n) => n.Name)).not.toContain(NET);
    // A second teardown finds nothing to do and succeeds.
    await stopSwarmLab();
  });

  it('removes what a failed bring-up built', async () => {
    // Daemons given no time to answer: the bring-up fails with them started and the network built.
    const failing = { name: 'saasfail', subnet: '10.231.2.0/24', nodes: 2 };
    try {
      await expect(startSwarmLab({ ...failing, startTimeoutS: 0 })).rejects.toThrow(/did not answer within 0s/);
      expect(await swarmLabLeftovers(failing.name)).toEqual([]);
    } finally {
      await stopSwarmLab(failing.name);
    }
  });
});
