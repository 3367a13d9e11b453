import { afterAll, beforeAll } from 'vitest';
import type { ContainerInfo } from '../../src/runtime/instance-runtime.js';
import { SwarmRuntime } from '../../src/runtime/swarm/swarm-runtime.js';
import { instanceRuntimeContract } from '../contract/instance-runtime.contract.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from '../support/swarm-lab.js';

/**
 * The InstanceRuntime contract (test/contract/instance-runtime.contract.ts) against the Swarm driver on one lab for
 * the whole file (three nodes, the stand-in loaded). What only Swarm does (placement, secrets, overlays kept apart)
 * is in swarm-runtime.swarm.test.ts.
 */
const IMAGE = 'odoo-standin:18.0';

let lab: SwarmLab | undefined;
let runtime: SwarmRuntime | undefined;
let subnets = 0;
let ports = 20_100;

beforeAll(async () => {
  lab = await startSwarmLab({ images: [IMAGE] });
  runtime = new SwarmRuntime({
    manager: lab.manager.docker,
    nodeEngines: Object.fromEntries(lab.nodes.map((node) => [node.name, node.docker])),
    defaultReservation: { memoryMb: 256, cpuMillis: 250 },
    taskStartTimeoutMs: 30_000,
  });
});

afterAll(async () => {
  await (lab ? lab.stop() : stopSwarmLab());
});

function theRuntime(): SwarmRuntime {
  if (!runtime) throw new Error('the swarm lab did not come up');
  return runtime;
}

/** The lab addresses of the node the container runs on and of the others. */
async function nodeAddresses(info: ContainerInfo): Promise<{ own: string; other: string }> {
  const nodes = await theRuntime().listNodes();
  const own = nodes.find((node) => node.id === info.nodeId)?.address;
  const other = nodes.find((node) => node.id !== info.nodeId)?.address;
  if (!own || !other) throw new Error(`no lab address for ${info.name} on node ${info.nodeId}`);
  return { own, other };
}

instanceRuntimeContract({
  driver: 'swarm',
  runtime: theRuntime,
  image: IMAGE,
  name: (suffix) => `rtc-${suffix}`,
  labels: { 'saas.test-suite': 'runtime-contract' },
  subnet: () => `10.242.${subnets++}.0/28`,
  hostPort: async () => ports++,
  // Host mode: the port answers on its node's addresses (all of them: DESIGN.md), not on the other nodes'.
  addressOf: async (info) => (await nodeAddresses(info)).own,
  notPublishedOn: async (info) => (await nodeAddresses(info)).other,
  // Swarm applies new limits and restarts with a new task (DESIGN.md).
  differences: { limitsChange: 'new-container', restartedContainer: 'new' },
});
