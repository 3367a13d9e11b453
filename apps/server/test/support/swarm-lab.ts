import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const exec = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../../scripts/swarm-lab.sh', import.meta.url));

/**
 * A Docker Swarm on this machine for the swarm tests: extra dockerd daemons in network namespaces of their own,
 * built and removed by scripts/swarm-lab.sh (docs/swarm-lab.md). Root only. The tests' default name and subnet
 * differ from the command line's, so a lab an operator started by hand survives a test run.
 */
export interface SwarmLabOptions {
  /** 2-8 of [a-z0-9]; names the namespaces, links, directories and cgroups. */
  name?: string;
  /** A /24 for the nodes' addresses (the host is .1, node i is .10+i). */
  subnet?: string;
  nodes?: number;
  managers?: number;
  /** Images copied from the host's engine into every node (`docker save | docker load`; there is no registry). */
  images?: string[];
  /** How long each dockerd may take to answer (default 40 s). */
  startTimeoutS?: number;
}

export interface SwarmLabNode {
  /** The node's hostname in the swarm, its namespace and cgroup parent: `<lab>-n<i>`. */
  name: string;
  /** Its lab address: the swarm's advertise address, and where host-mode published ports answer from the host. */
  address: string;
  socket: string;
  role: 'manager' | 'worker';
  docker: Docker;
}

export interface SwarmLabNodeStatus {
  name: string;
  /** The dockerd pid, 0 when it is not running. */
  pid: number;
  /** What the first answering manager says: Ready/Active, Down/Active, Ready/Drain... or unknown. */
  swarm: string;
  /** RSS of the node's own processes (dockerd, containerd, shims), containers excluded. */
  rssMiB: number;
}

/**
 * How a node fails. `daemon`: kill -9 of its dockerd (its containerd, a child with a parent-death signal, goes
 * too); the containers and their shims keep running and keep answering on the node's address. `loss`: its link goes down and every process of the node is killed.
 */
export type NodeFailure = 'daemon' | 'loss';

export interface SwarmLab {
  name: string;
  /** The host's address on the lab subnet. */
  hostAddress: string;
  nodes: SwarmLabNode[];
  /** The first manager (node 1), where the swarm was initialised. */
  manager: SwarmLabNode;
  node(name: string): SwarmLabNode;
  status(): Promise<SwarmLabNodeStatus[]>;
  kill(node: SwarmLabNode | string, mode: NodeFailure): Promise<void>;
  /** Link up and dockerd started again; the node rejoins the swarm from its own state. */
  restore(node: SwarmLabNode | string): Promise<void>;
  /** Removes everything; idempotent. */
  stop(): Promise<void>;
}

/** A failed swarm-lab command, with what is needed to see why. */
export class SwarmLabError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    // The script's own messages first (the cause), then the end of the rest (e.g. a dockerd log's tail).
    const lines = stderr.trim().split('\n');
    const own = lines.filter((l) => l.startsWith('swarm-lab:'));
    super(`swarm-lab.sh ${args.join(' ')} failed (${code}):\n${[...own, '---', ...lines.slice(-15)].join('\n')}`);
  }
}

async function run(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  try {
    const options = { timeout: timeoutMs, killSignal: 'SIGTERM' as const, maxBuffer: 4 << 20, env: { ...process.env, ...env } };
    const { stdout } = await exec(SCRIPT, args, options);
    return stdout;
  } catch (err) {
    const e = err as { code?: number | string; signal?: string; stderr?: string };
    throw new SwarmLabError(args, e.code ?? e.signal ?? null, e.stderr ?? String(err));
  }
}

interface StatusJson {
  name: string;
  hostAddress: string;
  nodes: Array<{ name: string; address: string; socket: string; role: 'manager' | 'worker'; pid: number; swarm: string; rssMiB: number }>;
}

/**
 * The lab of the vitest worker running a file (VITEST_POOL_ID, 1 up to the swarm config's maxWorkers): its own name
 * and subnet, so two files each have a lab at once. 10.231.2.0/24 stays for the failing bring-up of swarm-lab's test.
 */
export function testLab(pool: number): { name: string; subnet: string } {
  return pool <= 1 ? { name: 'saastlab', subnet: '10.231.1.0/24' } : { name: `saastlb${pool}`, subnet: `10.231.${pool + 1}.0/24` };
}

export const DEFAULT_TEST_LAB = testLab(Number(process.env.VITEST_POOL_ID ?? 1));

/** Brings a lab up (replacing any lab of the same name) and returns it; on failure nothing is left behind. */
export async function startSwarmLab(options: SwarmLabOptions = {}): Promise<SwarmLab> {
  const name = options.name ?? DEFAULT_TEST_LAB.name;
  const nameArgs = ['--name', name];
  const upArgs = ['up', ...nameArgs, '--subnet', options.subnet ?? DEFAULT_TEST_LAB.subnet];
  upArgs.push('--nodes', String(options.nodes ?? 3), '--managers', String(options.managers ?? 1));
  if (options.images?.length) upArgs.push('--images', options.images.join(','));
  upArgs.push('--json');

  let parsed: StatusJson;
  try {
    const env: Record<string, string> =
      options.startTimeoutS === undefined ? {} : { SWARM_LAB_START_TIMEOUT: String(options.startTimeoutS) };
    parsed = JSON.parse(await run(upArgs, 180_000, env)) as StatusJson;
  } catch (err) {
    // The script tears down after its own failures; this covers a timeout that killed it mid-way.
    await run(['down', ...nameArgs], 120_000).catch(() => undefined);
    throw err;
  }

  const nodes: SwarmLabNode[] = parsed.nodes.map((n) => ({
    name: n.name,
    address: n.address,
    socket: n.socket,
    role: n.role,
    docker: new Docker({ socketPath: n.socket }),
  }));
  const node = (ref: SwarmLabNode | string) => {
    const wanted = typeof ref === 'string' ? ref : ref.name;
    const found = nodes.find((n) => n.name === wanted || n.name.endsWith(`-${wanted}`));
    if (!found) throw new Error(`no node ${wanted} in swarm lab ${name}`);
    return found;
  };
  const manager = nodes[0];
  if (!manager) throw new Error(`swarm lab ${name} came up without nodes`);
  let stopped = false;
  return {
    name,
    hostAddress: parsed.hostAddress,
    nodes,
    manager,
    node,
    async status() {
      const json = JSON.parse(await run(['status', ...nameArgs, '--json'], 60_000)) as StatusJson;
      return json.nodes.map(({ name, pid, swarm, rssMiB }) => ({ name, pid, swarm, rssMiB }));
    },
    async kill(ref, mode) {
      await run(['kill', node(ref).name, '--mode', mode, ...nameArgs], 60_000);
    },
    async restore(ref) {
      await run(['restore', node(ref).name, ...nameArgs], 90_000);
    },
    async stop() {
      if (stopped) return;
      await run(['down', ...nameArgs], 120_000);
      stopped = true;
    },
  };
}

/** Removes a lab by name whatever state it is in (for a test's teardown when start itself threw). */
export async function stopSwarmLab(name = DEFAULT_TEST_LAB.name): Promise<void> {
  await run(['down', '--name', name], 120_000);
}

/**
 * What of a lab is still on the machine: namespaces, host links, processes naming its directories, mounts
 * under them, cgroups, the directories themselves. Empty after a clean teardown.
 */
export async function swarmLabLeftovers(name = DEFAULT_TEST_LAB.name): Promise<string[]> {
  const left: string[] = [];
  const dirs = [`/run/${name}/`, `/var/lib/${name}/`];
  const netns = await readdir('/run/netns').catch(() => [] as string[]);
  left.push(...netns.filter((ns) => ns.startsWith(`${name}-`)).map((ns) => `netns ${ns}`));
  const links = await readdir('/sys/class/net');
  left.push(...links.filter((l) => l.startsWith(`${name}-`)).map((l) => `link ${l}`));
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (dirs.some((d) => cmdline.includes(d))) left.push(`process ${pid}: ${cmdline.replaceAll('\0', ' ').slice(0, 120)}`);
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '');
  left.push(...mounts.filter((m) => dirs.some((d) => m.startsWith(d))).map((m) => `mount ${m}`));
  for (const controller of await readdir('/sys/fs/cgroup')) {
    const cgroups = await readdir(`/sys/fs/cgroup/${controller}`).catch(() => [] as string[]);
    left.push(...cgroups.filter((c) => c.startsWith(`${name}-`)).map((c) => `cgroup ${controller}/${c}`));
  }
  for (const dir of dirs) {
    if (
      await readdir(dir).then(
        () => true,
        () => false,
      )
    )
      left.push(`directory ${dir}`);
  }
  return left;
}
