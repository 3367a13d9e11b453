import Docker from 'dockerode';
import { engineCall } from '../docker/docker-errors.js';
import { DockerRuntime } from '../docker/docker-runtime.js';
import { type Labels, RuntimeError, type RuntimeNode } from '../instance-runtime.js';
import type { SwarmNode } from './placement.js';
import { NODE_LABEL } from './swarm-spec.js';
import type { SwarmService } from './swarm-tasks.js';

/** The part of a swarm node the driver reads (dockerode leaves nodes untyped). */
export interface SwarmNodeInfo {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Labels };
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number }; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
  /** When the node's record last changed: for a node that is down, when the managers marked it so. */
  UpdatedAt?: string;
}

/** A node's own engine: dockerode options (a socket in the lab, host:2376 with TLS in production) or a client. */
export type EngineEndpoint = Docker | Docker.DockerOptions;

/** The node's address: Status.Addr, or a manager's advertise address when the engine reports 0.0.0.0 for it. */
function addressOf(node: SwarmNodeInfo): string | null {
  const addr = node.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  return node.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? null;
}

export function toRuntimeNode(node: SwarmNodeInfo): RuntimeNode {
  const availability = node.Spec?.Availability;
  const resources = node.Description?.Resources;
  // `unknown` (just after a leader change) and `disconnected` take nothing new either.
  const state = node.Status?.State === 'ready' ? 'ready' : 'down';
  return {
    id: node.ID,
    name: node.Description?.Hostname ?? node.ID,
    address: addressOf(node),
    role: node.Spec?.Role === 'manager' ? 'manager' : 'worker',
    availability: availability === 'pause' || availability === 'drain' ? availability : 'active',
    state,
    // The managers update a node's record when its state changes; an operator's change to a down node's spec
    // (availability, labels) moves this later, never earlier.
    downSince:
      state === 'down' && node.UpdatedAt && !Number.isNaN(Date.parse(node.UpdatedAt)) ? new Date(node.UpdatedAt).toISOString() : null,
    capacity: {
      memoryMb: Math.floor((resources?.MemoryBytes ?? 0) / 1_048_576),
      cpuMillis: Math.floor((resources?.NanoCPUs ?? 0) / 1_000_000),
    },
    labels: node.Spec?.Labels ?? {},
    engineVersion: node.Description?.Engine?.EngineVersion ?? '',
  };
}

/** The node a service is pinned to: its label, else its `node.id==` constraint. */
export function serviceNodeId(service: SwarmService): string | undefined {
  const label = service.Spec?.Labels?.[NODE_LABEL];
  if (label) return label;
  const constraint = service.Spec?.TaskTemplate?.Placement?.Constraints?.find((c) => c.replace(/\s/g, '').startsWith('node.id=='));
  return constraint?.replace(/\s/g, '').slice('node.id=='.length);
}

/**
 * The nodes as placement sees them: what each holds is the sum of the reservations of the services pinned to it,
 * stopped ones included (a stopped instance keeps its place).
 */
export function toPlacementNodes(nodes: readonly RuntimeNode[], services: readonly SwarmService[]): SwarmNode[] {
  const placed = nodes.map((n) => ({
    id: n.id,
    labels: n.labels,
    availability: n.availability,
    state: n.state,
    capacity: { ...n.capacity },
    reserved: { memoryMb: 0, cpuMillis: 0 },
    instanceCount: 0,
  }));
  for (const service of services) {
    const node = placed.find((n) => n.id === serviceNodeId(service));
    if (!node) continue;
    const reservations = service.Spec?.TaskTemplate?.Resources?.Reservations;
    node.reserved.memoryMb += Math.ceil((reservations?.MemoryBytes ?? 0) / 1_048_576);
    node.reserved.cpuMillis += Math.ceil((reservations?.NanoCPUs ?? 0) / 1_000_000);
    node.instanceCount++;
  }
  return placed;
}

/**
 * The swarm's nodes and the engine of each: the managers answer for the swarm, each node's own engine for what
 * lives on it (volumes, one-offs, containers' logs and stats). Engines are configured by hostname.
 */
export class SwarmNodes {
  private readonly engines = new Map<string, DockerRuntime>();
  /** Node id → hostname, from the last listing; refreshed when an id is missing. */
  private hostnames = new Map<string, string>();

  constructor(
    readonly manager: Docker,
    endpoints: Record<string, EngineEndpoint>,
  ) {
    for (const [hostname, endpoint] of Object.entries(endpoints)) {
      this.engines.set(hostname, new DockerRuntime(endpoint instanceof Docker ? endpoint : new Docker(endpoint)));
    }
  }

  async list(): Promise<RuntimeNode[]> {
    const nodes = (await engineCall('listNodes', 'swarm', () => this.manager.listNodes())) as SwarmNodeInfo[];
    const mapped = nodes.map(toRuntimeNode).sort((a, b) => a.name.localeCompare(b.name));
    this.hostnames = new Map(mapped.map((n) => [n.id, n.name]));
    return mapped;
  }

  /** The engine of a node, by its swarm id. */
  async engine(nodeId: string): Promise<DockerRuntime> {
    if (!this.hostnames.has(nodeId)) await this.list();
    const hostname = this.hostnames.get(nodeId);
    if (!hostname) throw new RuntimeError('node', nodeId, 'no such node in the swarm', { statusCode: 404 });
    const engine = this.engines.get(hostname);
    if (!engine) throw new RuntimeError('node', hostname, 'no engine endpoint is configured for this node', { statusCode: 503 });
    return engine;
  }

  /** Ready nodes with a configured engine: where node-local work can go. */
  async readyEngines(): Promise<{ node: RuntimeNode; engine: DockerRuntime }[]> {
    const nodes = await this.list();
    return nodes.flatMap((node) => {
      const engine = this.engines.get(node.name);
      return node.state === 'ready' && engine ? [{ node, engine }] : [];
    });
  }
}
