import { engineCall, tolerate } from '../docker/docker-errors.js';
import { assertName, labelFilters, MANAGED_LABEL } from '../docker/docker-spec.js';
import { type Labels, RuntimeError, type RuntimeNode } from '../instance-runtime.js';
import { chooseNode, type Resources, type SwarmNode } from './placement.js';
import { type SwarmNodes, toPlacementNodes } from './swarm-nodes.js';
import { NODE_LABEL } from './swarm-spec.js';
import type { SwarmService } from './swarm-tasks.js';

/** Labels on `ensureVolume` that give the reservation the instance will have, for choosing its node. */
export const RESERVE_MEMORY_LABEL = 'saas.reserve.memory-mb';
export const RESERVE_CPU_LABEL = 'saas.reserve.cpu-millis';

/** The reservation placement uses when the volume's labels give none. */
export function reservationOf(labels: Labels, fallback: Resources): Resources {
  const read = (key: string, otherwise: number) => {
    const value = Number(labels[key]);
    return Number.isInteger(value) && value > 0 ? value : otherwise;
  };
  return { memoryMb: read(RESERVE_MEMORY_LABEL, fallback.memoryMb), cpuMillis: read(RESERVE_CPU_LABEL, fallback.cpuMillis) };
}

/**
 * Where each volume lives. An instance lives where its volume is, so this is also where its service is pinned and
 * where its one-offs run. Found by asking every node's engine, then kept in memory; the node is also a label on
 * the volume (`saas.swarm.node-id`), for operators.
 */
export class VolumeHomes {
  private readonly homes = new Map<string, string>();
  /** Volumes seen on two nodes (a move under way), by the node of the copy that is the volume. */
  private readonly moved = new Map<string, string>();
  /** Volumes placed by this process whose service does not exist yet. */
  private readonly pending = new Map<string, PendingPlacement>();

  constructor(
    private readonly nodes: SwarmNodes,
    private readonly defaultReservation: Resources,
  ) {}

  /**
   * The node holding the volume, or null when no node has it. With `strict`, a node whose engine does not answer
   * makes it an error rather than "nowhere": creating the volume elsewhere would split the instance's data.
   */
  async find(volume: string, strict: boolean): Promise<string | null> {
    assertName('volume', volume);
    const cached = this.homes.get(volume);
    // One call to the remembered node: another process (API, worker) may have removed or moved it meanwhile.
    if (cached && (await (await this.nodes.engine(cached)).volumeExists(volume).catch(() => false))) {
      // A move leaves the original until the copy answers: the copy on another node is then the volume.
      const copy = this.moved.get(volume);
      if (!copy || copy === cached) return cached;
    }
    this.homes.delete(volume);
    const { holders, silent } = await this.locate(volume);
    const holder = holders.length > 1 ? movedCopy(volume, holders) : holders[0];
    if (holder) {
      this.homes.set(volume, holder.node.id);
      if (holders.length > 1) this.moved.set(volume, holder.node.id);
      else this.moved.delete(volume);
      return holder.node.id;
    }
    if (strict && silent.length > 0) {
      throw new RuntimeError('locateVolume', volume, `cannot tell whether it is on ${silent.map((n) => n.name).join(', ')}: no answer`, {
        statusCode: 503,
      });
    }
    return null;
  }

  /** Every node's copy of the volume (one, except while it is being moved), and the nodes that did not answer. */
  async locate(volume: string): Promise<{ holders: VolumeCopy[]; silent: RuntimeNode[] }> {
    assertName('volume', volume);
    const nodes = await this.nodes.list();
    const answers = await Promise.all(
      nodes.map(async (node) => {
        try {
          const engine = await this.nodes.engine(node.id);
          const info = (await engineCall('locateVolume', volume, () => tolerate(engine.docker.getVolume(volume).inspect(), [404]))) as
            | { Name?: string; Labels?: Labels | null }
            | undefined;
          return { node, labels: info?.Name === volume ? (info.Labels ?? {}) : null };
        } catch {
          return { node, labels: null, silent: true };
        }
      }),
    );
    return {
      holders: answers.flatMap((a) => (a.labels ? [{ node: a.node, labels: a.labels }] : [])),
      silent: answers.filter((a) => a.silent).map((a) => a.node),
    };
  }

  /** The node of a volume that must exist. */
  async require(operation: string, volume: string): Promise<string> {
    const node = await this.find(volume, false);
    if (!node) throw new RuntimeError(operation, volume, 'no such volume on any node of the swarm', { statusCode: 404 });
    return node;
  }

  /** After a move: the copy on `nodeId` is the volume. */
  settle(volume: string, nodeId: string): void {
    this.homes.set(volume, nodeId);
    this.moved.set(volume, nodeId);
  }

  forget(volume: string): void {
    this.homes.delete(volume);
    this.moved.delete(volume);
    this.pending.delete(volume);
  }

  /** Creates the volume on its node: the one holding it, else the one placement chooses. */
  async ensure(name: string, labels: Labels, seed?: { image: string; path: string }): Promise<string> {
    const existing = await this.find(name, true);
    if (existing) return existing;
    const reservation = reservationOf(labels, this.defaultReservation);
    const nodeId = await this.choose(reservation);
    this.pending.set(name, { nodeId, reservation, at: Date.now() });
    const engine = await this.nodes.engine(nodeId);
    await engine.ensureVolume(name, { ...labels, [NODE_LABEL]: nodeId }, seed);
    this.homes.set(name, nodeId);
    return nodeId;
  }

  /**
   * A node for a new instance: memory first, over the reservations of the services pinned to each node and of the
   * volumes this process placed whose service does not exist yet (provisions under way).
   */
  async choose(reservation: Resources): Promise<string> {
    const withEngines = await this.nodes.readyEngines();
    const services = (await engineCall('placement', 'swarm', () =>
      this.nodes.manager.listServices({ filters: { label: labelFilters({ [MANAGED_LABEL]: 'true' }) } }),
    )) as SwarmService[];
    const nodes = toPlacementNodes(
      withEngines.map((e) => e.node),
      services,
    );
    addPending(nodes, this.pending, services);
    const decision = chooseNode(nodes, { reservation });
    if (!decision.placed) {
      throw new RuntimeError('placement', `${reservation.memoryMb} MiB`, `${decision.refusal.code}: ${decision.refusal.reason}`, {
        statusCode: 503,
      });
    }
    return decision.node.id;
  }
}

/** On a volume's copy made by a move: the node of the original, kept until the copy answers. */
export const MOVED_FROM_LABEL = 'saas.swarm.moved-from';

export interface VolumeCopy {
  node: RuntimeNode;
  labels: Labels;
}

/**
 * Of the copies of a volume on several nodes, the one that is the volume: the copy a move made from another of
 * them. Anything else (two copies with no move between them) is refused: an instance's data must be in one place.
 */
export function movedCopy(volume: string, holders: readonly VolumeCopy[]): VolumeCopy {
  const ids = new Set(holders.map((h) => h.node.id));
  const copies = holders.filter((h) => {
    const from = h.labels[MOVED_FROM_LABEL];
    return from !== undefined && from !== h.node.id && ids.has(from);
  });
  const [copy] = copies;
  if (copies.length === 1 && copy && holders.length === 2) return copy;
  const where = holders.map((h) => h.node.name).join(', ');
  throw new RuntimeError('locateVolume', volume, `is on several nodes (${where}); an instance's data must be in one place`, {
    statusCode: 409,
  });
}

/** How long a placed volume without a service counts on its node (a provision takes minutes at most). */
export const PENDING_PLACEMENT_MS = 15 * 60_000;

interface PendingPlacement {
  nodeId: string;
  reservation: Resources;
  at: number;
}

/**
 * Adds to the nodes the placements still waiting for their service, and forgets those whose service now mounts
 * the volume (it counts by itself) or that are too old (a template's volume never gets a service).
 */
export function addPending(
  nodes: SwarmNode[],
  pending: Map<string, PendingPlacement>,
  services: readonly SwarmService[],
  now = Date.now(),
): void {
  const mounted = new Set(
    services.flatMap((s) => {
      const template = s.Spec?.TaskTemplate as { ContainerSpec?: { Mounts?: { Source?: string }[] } } | undefined;
      return (template?.ContainerSpec?.Mounts ?? []).map((m) => m.Source ?? '');
    }),
  );
  for (const [volume, placement] of pending) {
    if (mounted.has(volume) || now - placement.at > PENDING_PLACEMENT_MS) {
      pending.delete(volume);
      continue;
    }
    const node = nodes.find((n) => n.id === placement.nodeId);
    if (!node) continue;
    node.reserved.memoryMb += placement.reservation.memoryMb;
    node.reserved.cpuMillis += placement.reservation.cpuMillis;
    node.instanceCount++;
  }
}
