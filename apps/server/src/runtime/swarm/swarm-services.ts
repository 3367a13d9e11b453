import type Docker from 'dockerode';
import { engineCall, engineStatus, tolerate } from '../docker/docker-errors.js';
import { MANAGED_LABEL } from '../docker/docker-spec.js';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';
import { SECRET_OWNER_LABEL, secretName } from './swarm-spec.js';
import { type SwarmService, type SwarmTask, taskProblem } from './swarm-tasks.js';

/** How often tasks are read while waiting for one to run or stop. */
const POLL_MS = 250;
/** A task that fails this many times in a row while being waited for will not come up by itself. */
const FAILED_STARTS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** By exact name: the engine also resolves ID prefixes, which must never match a platform name. */
export async function inspectService(manager: Docker, name: string): Promise<SwarmService | null> {
  const service = (await tolerate(manager.getService(name).inspect(), [404])) as SwarmService | undefined;
  return service?.Spec?.Name === name ? service : null;
}

export async function serviceTasks(manager: Docker, serviceId: string): Promise<SwarmTask[]> {
  const tasks = (await manager.listTasks({ filters: JSON.stringify({ service: [serviceId] }) })) as SwarmTask[];
  return tasks.filter((t) => t.ServiceID === serviceId);
}

/**
 * Writes a new spec. The version goes in the query and the spec in the body: dockerode would otherwise put the
 * whole spec, env values included, into the URL.
 */
export async function updateService(manager: Docker, service: SwarmService, spec: Docker.ServiceSpec): Promise<void> {
  await manager.getService(service.ID).update({ _query: { version: service.Version?.Index }, _body: spec });
}

/** The spec's files as secrets (created when missing; their names carry a hash of the content); their IDs in order. */
export async function ensureSecrets(manager: Docker, spec: ContainerSpec): Promise<string[]> {
  const ids: string[] = [];
  for (const file of spec.files) {
    const name = secretName(spec.name, file);
    const find = async () => {
      const found = (await tolerate(manager.getSecret(name).inspect(), [404])) as Docker.Secret | undefined;
      return found?.Spec?.Name === name ? found.ID : undefined;
    };
    let id = await find();
    if (!id) {
      try {
        const created = (await manager.createSecret({
          Name: name,
          Labels: { [MANAGED_LABEL]: 'true', [SECRET_OWNER_LABEL]: spec.name },
          Data: Buffer.from(file.content, 'utf8').toString('base64'),
        })) as { ID?: string; id?: string };
        id = created.ID ?? created.id;
      } catch (err) {
        // Another caller created it meanwhile: the same name holds the same content.
        if (engineStatus(err) !== 409) throw err;
        id = await find();
      }
    }
    if (!id) throw new RuntimeError('ensureContainer', spec.name, `secret ${name} could not be created`);
    ids.push(id);
  }
  return ids;
}

/** Removes the service's secrets it no longer uses (all of them once it is gone); one still in use stays. */
export async function pruneSecrets(manager: Docker, service: string, keep: readonly string[]): Promise<void> {
  const secrets = await manager.listSecrets({ filters: JSON.stringify({ label: [`${SECRET_OWNER_LABEL}=${service}`] }) });
  for (const secret of secrets) {
    if (keep.includes(secret.ID)) continue;
    // 400/409: still referenced by a task that is going away; the next update or removal takes it.
    await tolerate(manager.getSecret(secret.ID).remove(), [400, 404, 409]).catch(() => undefined);
  }
}

/**
 * Waits until a task of the service runs that is not one of `before` (the tasks of the spec being replaced).
 * Fails early when new tasks keep failing, with the engine's reason (image missing, no node with the resources...).
 */
export async function waitForNewTask(
  manager: Docker,
  operation: string,
  service: SwarmService,
  before: ReadonlySet<string>,
  timeoutMs: number,
): Promise<SwarmTask> {
  const deadline = Date.now() + timeoutMs;
  let latest: SwarmTask | undefined;
  for (;;) {
    const tasks = await engineCall(operation, service.Spec?.Name ?? service.ID, () => serviceTasks(manager, service.ID));
    const fresh = tasks.filter((t) => !before.has(t.ID)).sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''));
    const running = fresh.find((t) => t.DesiredState === 'running' && t.Status.State === 'running');
    if (running) return running;
    latest = fresh[0] ?? latest;
    const failed = fresh.filter((t) => t.Status.State === 'failed' || t.Status.State === 'rejected');
    if (failed.length >= FAILED_STARTS) {
      throw new RuntimeError(operation, service.Spec?.Name ?? service.ID, `the task keeps failing: ${taskProblem(failed[0])}`, {
        statusCode: 500,
      });
    }
    if (Date.now() > deadline) {
      throw new RuntimeError(
        operation,
        service.Spec?.Name ?? service.ID,
        `no task running after ${timeoutMs / 1000} s: ${taskProblem(latest)}`,
        {
          statusCode: 504,
        },
      );
    }
    await sleep(POLL_MS);
  }
}

/** Waits until none of the service's tasks has a container still running (after a scale to 0 or a removal). */
export async function waitForNoRunningTask(manager: Docker, operation: string, service: SwarmService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await engineCall(operation, service.Spec?.Name ?? service.ID, () => serviceTasks(manager, service.ID));
    const live = tasks.filter((t) => t.DesiredState === 'running' || ['running', 'starting', 'preparing'].includes(t.Status.State));
    if (live.length === 0) return;
    if (Date.now() > deadline) {
      throw new RuntimeError(
        operation,
        service.Spec?.Name ?? service.ID,
        `still running after ${timeoutMs / 1000} s: ${taskProblem(live[0])}`,
        {
          statusCode: 504,
        },
      );
    }
    await sleep(POLL_MS);
  }
}
