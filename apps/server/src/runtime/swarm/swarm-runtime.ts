import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { engineCall } from '../docker/docker-errors.js';
import { removeNetwork } from '../docker/docker-networks.js';
import type { DockerRuntime } from '../docker/docker-runtime.js';
import {
  type ContainerInfo,
  type ContainerSpec,
  type ContainerStats,
  type ContainerUsage,
  type InstanceRuntime,
  type Labels,
  type NetworkSpec,
  type OneOffResult,
  type ResourceLimits,
  RuntimeError,
  type RuntimeNode,
  type VolumeMoveResult,
} from '../instance-runtime.js';
import type { Resources } from './placement.js';
import { SwarmContainers } from './swarm-containers.js';
import { SwarmMoves } from './swarm-moves.js';
import { ensureOverlay, listOverlays } from './swarm-networks.js';
import { type EngineEndpoint, SwarmNodes } from './swarm-nodes.js';
import { VolumeHomes } from './swarm-volumes.js';

export interface SwarmRuntimeOptions {
  /** A manager's engine: services, tasks, nodes, overlay networks and secrets. */
  manager: EngineEndpoint;
  /**
   * Each node's own engine, by the node's hostname: volumes, one-offs, file copies, logs, stats and exec happen
   * there. In the lab a socket per node; in production each node's engine API over mutual TLS (docs: DESIGN.md).
   */
  nodeEngines: Record<string, EngineEndpoint>;
  /** What placement reserves for a new volume's instance when its labels give nothing (saas.reserve.*). */
  defaultReservation?: Resources;
  /** How long a change may take to have its task running (image present: seconds). */
  taskStartTimeoutMs?: number;
}

const DEFAULT_RESERVATION: Resources = { memoryMb: 1024, cpuMillis: 500 };

/**
 * InstanceRuntime on a Docker Swarm (src/runtime/swarm/DESIGN.md). An instance lives where its volume is: the volume's
 * node is chosen once by placement, the instance's service is pinned there, and everything node-local goes through
 * the Docker driver on that node's engine. Swarm never moves an instance by itself.
 */
export class SwarmRuntime implements InstanceRuntime {
  readonly nodes: SwarmNodes;
  private readonly homes: VolumeHomes;
  private readonly containers: SwarmContainers;
  private readonly moves: SwarmMoves;

  constructor(options: SwarmRuntimeOptions) {
    const manager = options.manager instanceof Docker ? options.manager : new Docker(options.manager);
    this.nodes = new SwarmNodes(manager, options.nodeEngines);
    this.homes = new VolumeHomes(this.nodes, options.defaultReservation ?? DEFAULT_RESERVATION);
    this.containers = new SwarmContainers(this.nodes, this.homes, options.taskStartTimeoutMs ?? 60_000);
    this.moves = new SwarmMoves(this.nodes, this.homes);
  }

  async ping(): Promise<void> {
    const info = await engineCall('ping', 'manager', () => this.nodes.manager.info());
    if (!info.Swarm?.ControlAvailable)
      throw new RuntimeError('ping', 'manager', 'the engine is not a manager of a swarm', { statusCode: 503 });
  }

  listNodes(): Promise<RuntimeNode[]> {
    return this.nodes.list();
  }

  /** On every ready node: the instance's node is not known before its volume is made. */
  async ensureImage(image: string, options: { pull: boolean; timeoutMs?: number }): Promise<'present' | 'pulled'> {
    const ready = await this.nodes.readyEngines();
    if (ready.length === 0) throw new RuntimeError('ensureImage', image, 'no ready node with an engine endpoint', { statusCode: 503 });
    const results = await Promise.all(ready.map(({ engine }) => engine.ensureImage(image, options)));
    return results.includes('pulled') ? 'pulled' : 'present';
  }

  ensureNetwork(spec: NetworkSpec): Promise<void> {
    return ensureOverlay(this.nodes.manager, spec);
  }

  removeNetwork(name: string): Promise<void> {
    return removeNetwork(this.nodes.manager, name);
  }

  listNetworks(labelFilter: Labels) {
    return listOverlays(this.nodes.manager, labelFilter);
  }

  async ensureVolume(name: string, labels: Labels, seed?: { image: string; path: string }): Promise<void> {
    await this.homes.ensure(name, labels, seed);
  }

  async removeVolume(name: string): Promise<void> {
    const nodeId = await this.homes.find(name, false);
    if (!nodeId) return;
    await (await this.nodes.engine(nodeId)).removeVolume(name);
    this.homes.forget(name);
  }

  /** Every ready node's copies: a node that does not answer is left out (its copies are listed once it is back). */
  async listVolumes(labelFilter: Labels) {
    const perNode = await Promise.all(
      (await this.nodes.readyEngines()).map(async ({ node, engine }) =>
        (await engine.listVolumes(labelFilter).catch(() => [])).map((v) => ({ ...v, nodeId: node.id })),
      ),
    );
    return perNode.flat();
  }

  async volumeExists(name: string): Promise<boolean> {
    return (await this.homes.find(name, false)) !== null;
  }

  async volumeUsage(name: string): Promise<number | null> {
    const nodeId = await this.homes.find(name, false);
    return nodeId ? (await this.nodes.engine(nodeId)).volumeUsage(name) : null;
  }

  private async volumeEngine(operation: string, volume: string): Promise<DockerRuntime> {
    return this.nodes.engine(await this.homes.require(operation, volume));
  }

  /**
   * On one node, the Docker driver's copy. Across nodes (a template's filestore into a new instance), through a
   * local directory: regular files and directories only, owned like the destination volume's root.
   */
  async copyBetweenVolumes(from: { volume: string; path: string }, to: { volume: string; path: string }, image: string): Promise<void> {
    const source = await this.homes.require('copyBetweenVolumes', from.volume);
    const target = await this.homes.require('copyBetweenVolumes', to.volume);
    if (source === target) return (await this.nodes.engine(source)).copyBetweenVolumes(from, to, image);
    const dir = await mkdtemp(join(tmpdir(), 'saas-swarm-copy-'));
    try {
      const copied = await (await this.nodes.engine(source)).exportVolumeDir(from.volume, from.path, join(dir, 'tree'), image);
      if (!copied.found) {
        throw new RuntimeError('copyBetweenVolumes', `${from.volume}:${from.path}`, 'no such directory', { statusCode: 404 });
      }
      await (await this.nodes.engine(target)).importVolumeDir(to.volume, to.path, join(dir, 'tree'), image);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async exportVolumeDir(volume: string, path: string, destDir: string, image: string) {
    return (await this.volumeEngine('exportVolumeDir', volume)).exportVolumeDir(volume, path, destDir, image);
  }

  async importVolumeDir(volume: string, path: string, srcDir: string, image: string) {
    return (await this.volumeEngine('importVolumeDir', volume)).importVolumeDir(volume, path, srcDir, image);
  }

  /** On the node of the volumes it mounts (a container of that node's engine, on the instance's attachable overlay). */
  async runOneOff(spec: Omit<ContainerSpec, 'restart' | 'publish'>, timeoutMs: number, signal?: AbortSignal): Promise<OneOffResult> {
    const nodeId = await this.containers.nodeFor('runOneOff', spec);
    return (await this.nodes.engine(nodeId)).runOneOff(spec, timeoutMs, signal);
  }

  ensureContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    return this.containers.ensure(spec);
  }

  inspectContainer(name: string): Promise<ContainerInfo | null> {
    return this.containers.inspect(name);
  }

  listManagedContainers(labelFilter: Labels): Promise<ContainerInfo[]> {
    return this.containers.list(labelFilter);
  }

  startContainer(name: string): Promise<void> {
    return this.containers.start(name);
  }

  /** The service's stop grace period (10 s) applies; `timeoutSeconds` cannot change it per call. */
  stopContainer(name: string, _timeoutSeconds?: number): Promise<void> {
    return this.containers.stop(name);
  }

  restartContainer(name: string): Promise<void> {
    return this.containers.restart(name);
  }

  removeContainer(name: string): Promise<void> {
    return this.containers.remove(name, () => this.nodes.readyEngines());
  }

  updateLimits(name: string, limits: ResourceLimits): Promise<void> {
    return this.containers.updateLimits(name, limits);
  }

  /** The current task's container (the running one, else the latest): its log starts with that task. */
  async logs(name: string, options: { tail: number; follow: boolean; since?: number }): Promise<Readable> {
    const task = await this.containers.taskContainer('logs', name);
    if (!task) {
      // As the Docker driver: no such container is an error; a service without a task yet has no log.
      if (!(await this.containers.inspect(name))) throw new RuntimeError('logs', name, 'no such service', { statusCode: 404 });
      return Readable.from([]);
    }
    return task.engine.logs(task.container, options);
  }

  async stats(name: string): Promise<ContainerStats | null> {
    const task = await this.containers.taskContainer('stats', name);
    return task?.running ? task.engine.stats(task.container) : null;
  }

  async usage(name: string): Promise<ContainerUsage | null> {
    const task = await this.containers.taskContainer('stats', name);
    return task?.running ? task.engine.usage(task.container) : null;
  }

  async exec(name: string, command: string[]): Promise<OneOffResult> {
    const task = await this.containers.taskContainer('exec', name);
    if (!task?.running) {
      // As the Docker driver: no such container is a 404, one that is not running a 409.
      if (!task && !(await this.containers.inspect(name))) throw new RuntimeError('exec', name, 'no such service', { statusCode: 404 });
      throw new RuntimeError('exec', name, 'no running task', { statusCode: 409 });
    }
    return task.engine.exec(task.container, command);
  }

  setNodeAvailability(nodeId: string, availability: RuntimeNode['availability']): Promise<void> {
    return this.moves.setAvailability(nodeId, availability);
  }

  volumeNode(name: string): Promise<string | null> {
    return this.homes.find(name, false);
  }

  /** Through a local directory, as a cross-node copy (swarm-moves.ts); the original stays until `removeVolumeCopy`. */
  moveVolume(name: string, toNodeId: string, seed: { image: string; path: string }): Promise<VolumeMoveResult> {
    return this.moves.move(name, toNodeId, seed);
  }

  removeVolumeCopy(name: string, nodeId: string): Promise<void> {
    return this.moves.removeCopy(name, nodeId);
  }

  replaceLostVolume(
    name: string,
    toNodeId: string,
    lostNodeId: string,
    labels: Labels,
    seed: { image: string; path: string },
  ): Promise<void> {
    return this.moves.replaceLost(name, toNodeId, lostNodeId, labels, seed);
  }
}
