import type { Readable } from 'node:stream';
import Docker from 'dockerode';
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
import {
  containerLogs,
  containerStats,
  containerUsage,
  ensureContainer,
  execInContainer,
  inspectByName,
  listContainers,
  runOneOff,
  STOP_TIMEOUT_SECONDS,
  toContainerInfo,
} from './docker-containers.js';
import { engineCall, tolerate } from './docker-errors.js';
import { ensureImage } from './docker-images.js';
import { ensureNetwork, listNetworks, removeNetwork } from './docker-networks.js';
import { type NodeCommandResult, runNodeFirewallCommand } from './docker-node-firewall.js';
import { assertLimits, assertName, labelFilters, limitsToHostConfig, MANAGED_LABEL, REMOVE } from './docker-spec.js';
import { exportVolumeDir, importVolumeDir } from './docker-volume-files.js';
import { copyBetweenVolumes, ensureVolume, listVolumes, removeVolume, volumeExists, volumeUsage } from './docker-volumes.js';

/**
 * InstanceRuntime on one Docker engine, through its API (dockerode); no `docker` CLI, and nothing required
 * inside the images beyond their entrypoint. Everything is addressed by the platform's names, so every call
 * can be repeated. Everything it creates carries `saas.managed=true`.
 */
export class DockerRuntime implements InstanceRuntime {
  readonly docker: Docker;

  /** Takes dockerode options (default: the local socket /var/run/docker.sock) or a ready client. */
  constructor(options: Docker.DockerOptions | Docker = { socketPath: '/var/run/docker.sock' }) {
    this.docker = options instanceof Docker ? options : new Docker(options);
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /** One engine is one node, on the edge's own host. */
  async listNodes(): Promise<RuntimeNode[]> {
    const info = await engineCall('listNodes', 'engine', () => this.docker.info());
    return [
      {
        id: String(info.ID),
        name: String(info.Name),
        address: null,
        role: 'standalone',
        availability: 'active',
        state: 'ready',
        capacity: { memoryMb: Math.floor(Number(info.MemTotal) / 1_048_576), cpuMillis: Number(info.NCPU) * 1000 },
        labels: Object.fromEntries(((info.Labels as string[] | null) ?? []).map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')])),
        engineVersion: String(info.ServerVersion),
      },
    ];
  }

  ensureImage(image: string, options: { pull: boolean; timeoutMs?: number }) {
    return ensureImage(this.docker, image, options);
  }

  ensureNetwork(spec: NetworkSpec): Promise<void> {
    return ensureNetwork(this.docker, spec);
  }

  removeNetwork(name: string): Promise<void> {
    return removeNetwork(this.docker, name);
  }

  listNetworks(labelFilter: Labels) {
    return listNetworks(this.docker, labelFilter);
  }

  ensureVolume(name: string, labels: Labels, seed?: { image: string; path: string }): Promise<void> {
    return ensureVolume(this.docker, name, labels, seed);
  }

  removeVolume(name: string): Promise<void> {
    return removeVolume(this.docker, name);
  }

  volumeExists(name: string): Promise<boolean> {
    return volumeExists(this.docker, name);
  }

  listVolumes(labelFilter: Labels) {
    return listVolumes(this.docker, labelFilter);
  }

  volumeUsage(name: string): Promise<number | null> {
    return volumeUsage(this.docker, name);
  }

  copyBetweenVolumes(from: { volume: string; path: string }, to: { volume: string; path: string }, image: string): Promise<void> {
    return copyBetweenVolumes(this.docker, from, to, image);
  }

  exportVolumeDir(volume: string, path: string, destDir: string, image: string) {
    return exportVolumeDir(this.docker, volume, path, destDir, image);
  }

  importVolumeDir(volume: string, path: string, srcDir: string, image: string) {
    return importVolumeDir(this.docker, volume, path, srcDir, image);
  }

  runOneOff(spec: Omit<ContainerSpec, 'restart' | 'publish'>, timeoutMs: number, signal?: AbortSignal): Promise<OneOffResult> {
    return runOneOff(this.docker, spec, timeoutMs, signal);
  }

  /**
   * Not part of `InstanceRuntime`: runs a firewall command (the image's `nft`) in this engine's own network
   * namespace with CAP_NET_ADMIN only. A swarm node's egress policy goes through it (swarm-egress-policy.ts).
   */
  runNodeFirewallCommand(image: string, args: string[], timeoutMs = 30_000): Promise<NodeCommandResult> {
    return runNodeFirewallCommand(this.docker, { image, entrypoint: 'nft', args, timeoutMs });
  }

  ensureContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    return ensureContainer(this.docker, spec);
  }

  async inspectContainer(name: string): Promise<ContainerInfo | null> {
    assertName('container', name);
    const info = await engineCall('inspectContainer', name, () => inspectByName(this.docker, name));
    return info ? toContainerInfo(info) : null;
  }

  listManagedContainers(labelFilter: Labels): Promise<ContainerInfo[]> {
    return listContainers(this.docker, labelFilters({ ...labelFilter, [MANAGED_LABEL]: 'true' }));
  }

  async startContainer(name: string): Promise<void> {
    assertName('container', name);
    await engineCall('startContainer', name, () => tolerate(this.docker.getContainer(name).start(), [304]));
  }

  async stopContainer(name: string, timeoutSeconds = STOP_TIMEOUT_SECONDS): Promise<void> {
    assertName('container', name);
    await engineCall('stopContainer', name, () => tolerate(this.docker.getContainer(name).stop({ t: timeoutSeconds }), [304, 404]));
  }

  async restartContainer(name: string): Promise<void> {
    assertName('container', name);
    await engineCall('restartContainer', name, () => this.docker.getContainer(name).restart({ t: STOP_TIMEOUT_SECONDS }));
  }

  async removeContainer(name: string): Promise<void> {
    assertName('container', name);
    // 409: a removal already in progress.
    await engineCall('removeContainer', name, () => tolerate(this.docker.getContainer(name).remove(REMOVE), [404, 409]));
  }

  async updateLimits(name: string, limits: ResourceLimits): Promise<void> {
    assertName('container', name);
    assertLimits(name, limits);
    await engineCall('updateLimits', name, () => this.docker.getContainer(name).update(limitsToHostConfig(limits)));
  }

  logs(name: string, options: { tail: number; follow: boolean; since?: number }): Promise<Readable> {
    assertName('container', name);
    return containerLogs(this.docker, name, options);
  }

  stats(name: string): Promise<ContainerStats | null> {
    assertName('container', name);
    return containerStats(this.docker, name);
  }

  usage(name: string): Promise<ContainerUsage | null> {
    assertName('container', name);
    return containerUsage(this.docker, name);
  }

  exec(name: string, command: string[]): Promise<OneOffResult> {
    assertName('container', name);
    return execInContainer(this.docker, name, command);
  }

  // One engine is one machine: there is no other node to drain onto.
  async setNodeAvailability(nodeId: string): Promise<void> {
    throw singleMachine('setNodeAvailability', nodeId);
  }

  async volumeNode(): Promise<string | null> {
    return null;
  }

  async moveVolume(name: string): Promise<VolumeMoveResult> {
    throw singleMachine('moveVolume', name);
  }

  async removeVolumeCopy(name: string): Promise<void> {
    throw singleMachine('removeVolumeCopy', name);
  }

  async replaceLostVolume(name: string): Promise<void> {
    throw singleMachine('replaceLostVolume', name);
  }
}

const singleMachine = (operation: string, target: string) =>
  new RuntimeError(
    operation,
    target,
    'this runtime has one machine: instances cannot move to another (that takes INSTANCE_RUNTIME=swarm)',
    {
      statusCode: 409,
    },
  );
