import type Docker from 'dockerode';
import { STOP_TIMEOUT_SECONDS } from '../docker/docker-containers.js';
import { engineCall, messageSecretsOf, tolerate } from '../docker/docker-errors.js';
import type { DockerRuntime } from '../docker/docker-runtime.js';
import { assertLimits, assertName, labelFilters, MANAGED_LABEL, SPEC_HASH_LABEL } from '../docker/docker-spec.js';
import { type ContainerInfo, type ContainerSpec, type Labels, type ResourceLimits, RuntimeError } from '../instance-runtime.js';
import { type SwarmNodes, serviceNodeId } from './swarm-nodes.js';
import {
  ensureSecrets,
  inspectService,
  pruneSecrets,
  serviceTasks,
  updateService,
  waitForNewTask,
  waitForNoRunningTask,
} from './swarm-services.js';
import { limitsToResources, resourcesMatch, swarmSpecHash, toServiceSpec, validateServiceSpec } from './swarm-spec.js';
import { currentTask, isEnded, type SwarmService, type SwarmTask, taskContainerName, toContainerInfo } from './swarm-tasks.js';
import type { VolumeHomes } from './swarm-volumes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const replicasOf = (service: SwarmService) => service.Spec?.Mode?.Replicated?.Replicas ?? 0;

/**
 * The instance containers of a swarm: one service each, with one replica pinned to the node of its volumes.
 * Every change is written to the service and then waited for (bounded), so callers see what the Docker driver
 * gives them: a container that runs, or an error saying why not.
 */
export class SwarmContainers {
  constructor(
    private readonly nodes: SwarmNodes,
    private readonly homes: VolumeHomes,
    private readonly taskStartTimeoutMs: number,
  ) {}

  private get manager() {
    return this.nodes.manager;
  }

  /** The node an instance's container runs on: the one holding its volumes (all of them on one node). */
  async nodeFor(operation: string, spec: Pick<ContainerSpec, 'name' | 'mounts' | 'limits'>): Promise<string> {
    const homes = new Set<string>();
    for (const mount of spec.mounts) homes.add(await this.homes.require(operation, mount.volume));
    if (homes.size > 1) throw new RuntimeError(operation, spec.name, 'its volumes are on different nodes', { statusCode: 409 });
    const [home] = homes;
    return home ?? this.homes.choose({ memoryMb: spec.limits.memoryMb, cpuMillis: spec.limits.cpuMillis });
  }

  private async service(operation: string, name: string): Promise<SwarmService | null> {
    assertName('container', name);
    return engineCall(operation, name, () => inspectService(this.manager, name));
  }

  private async required(operation: string, name: string): Promise<SwarmService> {
    const service = await this.service(operation, name);
    if (!service) throw new RuntimeError(operation, name, 'no such service', { statusCode: 404 });
    return service;
  }

  private async tasks(operation: string, service: SwarmService): Promise<SwarmTask[]> {
    return engineCall(operation, service.Spec?.Name ?? service.ID, () => serviceTasks(this.manager, service.ID));
  }

  /** Writes the spec, then waits for a task of it to run (a task running before the change does not count). */
  private async apply(operation: string, service: SwarmService, spec: Docker.ServiceSpec): Promise<SwarmTask | null> {
    const name = service.Spec?.Name ?? service.ID;
    const before = new Set((await this.tasks(operation, service)).map((t) => t.ID));
    await engineCall(operation, name, () => updateService(this.manager, service, spec));
    if (spec.Mode?.Replicated?.Replicas === 0) {
      await waitForNoRunningTask(this.manager, operation, service, (STOP_TIMEOUT_SECONDS + 20) * 1000);
      return null;
    }
    return waitForNewTask(this.manager, operation, service, before, this.taskStartTimeoutMs);
  }

  async ensure(spec: ContainerSpec): Promise<ContainerInfo> {
    validateServiceSpec(spec);
    const step = <T>(call: () => Promise<T>) => engineCall('ensureContainer', spec.name, call, messageSecretsOf(spec.env));
    const nodeId = await this.nodeFor('ensureContainer', spec);
    const engine = await this.nodes.engine(nodeId);
    // The image as the node has it: its ID goes into the service, so a task start never asks a registry.
    const image = await step(() => engine.docker.getImage(spec.image).inspect());
    const hash = swarmSpecHash(spec, image.Id, nodeId);
    const secretIds = await step(() => ensureSecrets(this.manager, spec));
    const current = await this.service('ensureContainer', spec.name);
    const ctx = { nodeId, imageId: image.Id, hash, secretIds, replicas: 1 as const };

    if (!current) {
      const created = (await step(() => this.manager.createService(toServiceSpec(spec, ctx)))) as { ID?: string; id?: string };
      const service = await this.required('ensureContainer', spec.name);
      if (service.ID !== (created.ID ?? created.id))
        throw new RuntimeError('ensureContainer', spec.name, 'was replaced while being created');
      await waitForNewTask(this.manager, 'ensureContainer', service, new Set(), this.taskStartTimeoutMs);
    } else {
      const changed =
        current.Spec?.Labels?.[SPEC_HASH_LABEL] !== hash ||
        !resourcesMatch(current.Spec?.TaskTemplate?.Resources, spec.limits) ||
        replicasOf(current) !== 1;
      if (changed) {
        const forceUpdate = current.Spec?.TaskTemplate?.ForceUpdate ?? 0;
        await this.apply('ensureContainer', current, toServiceSpec(spec, { ...ctx, forceUpdate }));
      } else {
        const tasks = await this.tasks('ensureContainer', current);
        if (currentTask(tasks)?.Status.State !== 'running') {
          // Unchanged but between two runs (a crash being restarted): wait for the next one; earlier failures don't count.
          const ended = new Set(tasks.filter((t) => isEnded(t)).map((t) => t.ID));
          await waitForNewTask(this.manager, 'ensureContainer', current, ended, this.taskStartTimeoutMs);
        }
      }
    }
    await step(() => pruneSecrets(this.manager, spec.name, secretIds));
    const info = await this.inspect(spec.name);
    if (!info) throw new RuntimeError('ensureContainer', spec.name, 'service vanished after start', { statusCode: 404 });
    return info;
  }

  /** The running task's container, read on its node for the exact start time; the task alone when that fails. */
  private async describe(service: SwarmService): Promise<ContainerInfo> {
    const tasks = await this.tasks('inspectContainer', service);
    const task = currentTask(tasks);
    let container: Docker.ContainerInspectInfo | null = null;
    const id = task?.Status.ContainerStatus?.ContainerID;
    if (task?.Status.State === 'running' && task.NodeID && id) {
      const engine = await this.nodes.engine(task.NodeID).catch(() => null);
      container =
        (await engine?.docker
          .getContainer(id)
          .inspect()
          .catch(() => null)) ?? null;
    }
    return toContainerInfo(service, tasks, container);
  }

  async inspect(name: string): Promise<ContainerInfo | null> {
    const service = await this.service('inspectContainer', name);
    return service ? this.describe(service) : null;
  }

  async list(labelFilter: Labels): Promise<ContainerInfo[]> {
    const filters = labelFilters({ ...labelFilter, [MANAGED_LABEL]: 'true' });
    const services = (await engineCall('listManagedContainers', filters.join(','), () =>
      this.manager.listServices({ filters: { label: filters } }),
    )) as SwarmService[];
    const infos: ContainerInfo[] = [];
    for (let i = 0; i < services.length; i += 8) infos.push(...(await Promise.all(services.slice(i, i + 8).map((s) => this.describe(s)))));
    return infos;
  }

  async start(name: string): Promise<void> {
    const service = await this.required('startContainer', name);
    if (replicasOf(service) === 1) return;
    await this.apply('startContainer', service, { ...service.Spec, Mode: { Replicated: { Replicas: 1 } } });
  }

  /** A scale to 0: the task stops within the service's stop grace period (fixed in its spec, not per call). */
  async stop(name: string): Promise<void> {
    const service = await this.service('stopContainer', name);
    if (!service || replicasOf(service) === 0) return;
    await this.apply('stopContainer', service, { ...service.Spec, Mode: { Replicated: { Replicas: 0 } } });
  }

  /** A forced update: a new task of the same spec replaces the old one (stop first). */
  async restart(name: string): Promise<void> {
    const service = await this.required('restartContainer', name);
    const template = service.Spec?.TaskTemplate ?? {};
    await this.apply('restartContainer', service, {
      ...service.Spec,
      TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 },
      Mode: { Replicated: { Replicas: 1 } },
    });
  }

  /** Limits and reservations of the service; Swarm applies them with a new task (a restart), not in place. */
  async updateLimits(name: string, limits: ResourceLimits): Promise<void> {
    assertLimits(name, limits);
    const service = await this.required('updateLimits', name);
    const template = service.Spec?.TaskTemplate ?? {};
    if (resourcesMatch(template.Resources, limits)) return;
    await this.apply('updateLimits', service, { ...service.Spec, TaskTemplate: { ...template, Resources: limitsToResources(limits) } });
  }

  /**
   * Removes the service and waits for its container to be gone from its node (its volumes are free after that),
   * then the secrets of its files and any one-off container of that name left on a node.
   */
  async remove(name: string, readyEngines: () => Promise<{ engine: DockerRuntime }[]>): Promise<void> {
    const service = await this.service('removeContainer', name);
    if (service) {
      const nodeId = serviceNodeId(service);
      await engineCall('removeContainer', name, () => tolerate(this.manager.getService(service.ID).remove(), [404]));
      // A node that is down has no engine to ask (a lost node, failover): its container goes when it returns and
      // hears the service is gone.
      const node = nodeId ? (await this.nodes.list()).find((n) => n.id === nodeId) : undefined;
      const engine = node?.state === 'ready' ? await this.nodes.engine(node.id).catch(() => null) : null;
      if (engine) await this.waitContainersGone(engine.docker, service, (STOP_TIMEOUT_SECONDS + 20) * 1000);
    }
    await engineCall('removeContainer', name, () => pruneSecrets(this.manager, name, []));
    for (const { engine } of await readyEngines()) await engine.removeContainer(name);
  }

  private async waitContainersGone(docker: Docker, service: SwarmService, timeoutMs: number): Promise<void> {
    const name = service.Spec?.Name ?? service.ID;
    const deadline = Date.now() + timeoutMs;
    const filters = { label: [`com.docker.swarm.service.id=${service.ID}`] };
    while ((await engineCall('removeContainer', name, () => docker.listContainers({ all: true, filters }))).length > 0) {
      if (Date.now() > deadline)
        throw new RuntimeError('removeContainer', name, `its container is still there after ${timeoutMs / 1000} s`, { statusCode: 504 });
      await sleep(250);
    }
  }

  /** The engine and container name of the service's current task (the running one, else the latest). */
  async taskContainer(operation: string, name: string): Promise<{ engine: DockerRuntime; container: string; running: boolean } | null> {
    const service = await this.service(operation, name);
    if (!service) return null;
    const task = currentTask(await this.tasks(operation, service));
    if (!task?.NodeID || !task.Status.ContainerStatus?.ContainerID) return null;
    const engine = await this.nodes.engine(task.NodeID);
    return { engine, container: taskContainerName(name, task), running: task.Status.State === 'running' };
  }
}
