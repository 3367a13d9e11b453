import type Docker from 'dockerode';
import { SPEC_HASH_LABEL } from '../docker/docker-spec.js';
import type { ContainerInfo, ContainerRunState } from '../instance-runtime.js';
import { NODE_LABEL } from './swarm-spec.js';

/** A service as the engine returns it (dockerode's `SwarmService` is the client class, not this). */
export interface SwarmService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  Spec?: Docker.ServiceSpec;
}

/** The part of a swarm task the driver reads (dockerode leaves tasks untyped). */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt?: string;
  DesiredState: string;
  Status: {
    Timestamp?: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } }; Addresses?: string[] }[];
}

/** States of a task on its way to running. */
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
/** States of a task that ran (or tried to) and is over. */
const FAILED = new Set(['failed', 'rejected']);
const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

const newestFirst = (a: SwarmTask, b: SwarmTask) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? '');

/** The task that is (or is meant to be) the instance's container: the newest meant to run, else the newest. */
export function currentTask(tasks: readonly SwarmTask[]): SwarmTask | undefined {
  const sorted = [...tasks].sort(newestFirst);
  return sorted.find((t) => t.DesiredState === 'running') ?? sorted[0];
}

/** A task that is over: it will never run again (Swarm starts a new task instead). */
export const isEnded = (task: SwarmTask) => ENDED.has(task.Status.State);

/** Failed starts and crashes; Swarm keeps the last few tasks per slot (task history), so this is a recent count. */
export const failedTasks = (tasks: readonly SwarmTask[]) => tasks.filter((t) => FAILED.has(t.Status.State)).length;

/** The container of a task as the node's engine names it (`<service>.<slot>.<task id>`). */
export const taskContainerName = (service: string, task: SwarmTask) => `${service}.${task.Slot ?? 1}.${task.ID}`;

function runState(service: SwarmService, tasks: readonly SwarmTask[], current: SwarmTask | undefined): ContainerRunState {
  if (!current) return 'exited';
  const state = current.Status.State;
  if (state === 'running') return 'running';
  if (current.DesiredState !== 'running') return ENDED.has(state) ? 'exited' : 'created';
  const again = service.Spec?.TaskTemplate?.RestartPolicy?.Condition !== 'none';
  // A task that ended while meant to run is replaced (restart policy `any`): between the two, it is restarting.
  if (ENDED.has(state)) return again ? 'restarting' : 'exited';
  if (STARTING.has(state)) return failedTasks(tasks) > 0 && again ? 'restarting' : 'created';
  return 'created';
}

function nodeOf(service: SwarmService, task: SwarmTask | undefined): { nodeId?: string } {
  const nodeId = task?.NodeID || service.Spec?.Labels?.[NODE_LABEL];
  return nodeId ? { nodeId } : {};
}

/**
 * The instance container as the platform knows it, from its service, the service's tasks and (when its node's
 * engine answered) the running task's container. Its id is the container's while there is one.
 */
export function toContainerInfo(
  service: SwarmService,
  tasks: readonly SwarmTask[],
  container?: Docker.ContainerInspectInfo | null,
): ContainerInfo {
  const labels = service.Spec?.Labels ?? {};
  const current = currentTask(tasks);
  const state = runState(service, tasks, current);
  const ended = [...tasks].sort(newestFirst).find((t) => ENDED.has(t.Status.State));
  const startedFromContainer =
    container?.State.StartedAt && !container.State.StartedAt.startsWith('0001-') ? container.State.StartedAt : null;
  return {
    id: current?.Status.ContainerStatus?.ContainerID || current?.ID || service.ID,
    name: service.Spec?.Name ?? '',
    state,
    labels,
    specHash: labels[SPEC_HASH_LABEL] ?? null,
    // A running task's timestamp is when it reached `running`; the container's own start time is exact.
    startedAt: state === 'running' ? (startedFromContainer ?? current?.Status.Timestamp ?? null) : null,
    exitCode: state === 'exited' || state === 'restarting' ? (ended?.Status.ContainerStatus?.ExitCode ?? null) : null,
    restartCount: failedTasks(tasks),
    createdAt: service.CreatedAt ?? null,
    // Where its task runs, else where it is pinned (a stopped instance keeps its node).
    ...nodeOf(service, current),
  };
}

/** Why a task is not running, in the engine's words ("no suitable node (insufficient resources on 1 node)"). */
export function taskProblem(task: SwarmTask | undefined): string {
  if (!task) return 'no task was created';
  const { State, Err, Message } = task.Status;
  const code = task.Status.ContainerStatus?.ExitCode;
  return `task ${task.ID} is ${State}${Err ? `: ${Err}` : Message ? ` (${Message})` : ''}${code ? `, exit code ${code}` : ''}`;
}
