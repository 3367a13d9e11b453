import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import {
  type ContainerInfo,
  type ContainerRunState,
  type ContainerSpec,
  type ContainerStats,
  type ContainerUsage,
  type OneOffResult,
  RuntimeError,
} from '../instance-runtime.js';
import { portClashError } from './docker-conflicts.js';
import { engineCall, messageSecretsOf, outputSecretsOf, redact, tolerate, toRuntimeError } from './docker-errors.js';
import {
  createOptions,
  filesByDirectory,
  limitsMatch,
  limitsToHostConfig,
  REMOVE,
  ROLE_LABEL,
  SPEC_HASH_LABEL,
  specHash,
  validateSpec,
} from './docker-spec.js';
import { Demultiplexer, demultiplex, TailBuffer, tailText } from './docker-streams.js';
import { filesArchive } from './docker-tar.js';

/** Grace period before the engine kills a container it was asked to stop (Odoo finishes requests in time). */
export const STOP_TIMEOUT_SECONDS = 10;
/** Log lines read from a finished one-off: enough to fill the 64 KiB of output it returns. */
const ONE_OFF_LOG_LINES = 5000;

/** Inspects by exact name: the engine also resolves id prefixes, which must never match a platform name. */
export async function inspectByName(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  const info = await tolerate(docker.getContainer(name).inspect(), [404]);
  return info && info.Name === `/${name}` ? info : null;
}

export function toContainerInfo(info: Docker.ContainerInspectInfo): ContainerInfo {
  const labels = info.Config.Labels ?? {};
  const { State: state } = info;
  // The code of its last exit, while the engine holds it: it resets the code to 0 when it runs the container again.
  const exited = state.Status === 'exited' || state.Status === 'dead' || state.Status === 'restarting';
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    state: state.Status as ContainerRunState,
    labels,
    specHash: labels[SPEC_HASH_LABEL] ?? null,
    // The engine reports "0001-01-01T00:00:00Z" for a container that never started.
    startedAt: state.StartedAt && !state.StartedAt.startsWith('0001-') ? state.StartedAt : null,
    exitCode: exited ? state.ExitCode : null,
    restartCount: info.RestartCount,
    createdAt: info.Created || null,
  };
}

async function writeFiles(container: Docker.Container, spec: Pick<ContainerSpec, 'files' | 'readOnlyRootfs'>): Promise<void> {
  if (spec.files.length === 0) return;
  if (!spec.readOnlyRootfs) {
    await container.putArchive(await filesArchive(spec.files), { path: '/' });
    return;
  }
  // A read-only root takes copies only into volumes: each file's directory is one (scratchVolumeDirs).
  for (const [dir, files] of filesByDirectory(spec.files)) await container.putArchive(await filesArchive(files, dir), { path: dir });
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  await engineCall('removeContainer', container.id, () => tolerate(container.remove(REMOVE), [404, 409])).catch(() => undefined);
}

/** A start that failed on a taken host port names who holds it (another platform's container...). */
async function explainStart(docker: Docker, spec: ContainerSpec, err: RuntimeError): Promise<RuntimeError> {
  return (await portClashError(docker, spec, err.message)) ?? err;
}

/** Creates (or recreates, when the spec hash changed) and starts the container; applies changed limits in place. */
export async function ensureContainer(docker: Docker, spec: ContainerSpec): Promise<ContainerInfo> {
  validateSpec(spec);
  const secrets = messageSecretsOf(spec.env);
  const step = <T>(call: () => Promise<T>) => engineCall('ensureContainer', spec.name, call, secrets);
  // Resolving the image first also keeps a missing image from costing the running container.
  const image = await step(() => docker.getImage(spec.image).inspect());
  const hash = specHash(spec, image.Id);
  let current = await step(() => inspectByName(docker, spec.name));

  if (current && (current.Config.Labels?.[SPEC_HASH_LABEL] !== hash || current.State.Dead || current.State.Status === 'removing')) {
    const stale = docker.getContainer(current.Id);
    await step(() => tolerate(stale.stop({ t: STOP_TIMEOUT_SECONDS }), [304, 404]));
    await step(() => tolerate(stale.remove(REMOVE), [404]));
    current = null;
  }

  if (!current) {
    const created = await step(() => docker.createContainer(createOptions(spec, { [SPEC_HASH_LABEL]: hash })));
    try {
      await writeFiles(created, spec);
      await created.start();
    } catch (err) {
      // A container with the right hash but without its files must not survive to be started later.
      await removeQuietly(created);
      throw await explainStart(docker, spec, toRuntimeError('ensureContainer', spec.name, err, secrets));
    }
  } else {
    const container = docker.getContainer(current.Id);
    if (!limitsMatch(current.HostConfig, spec.limits)) await step(() => container.update(limitsToHostConfig(spec.limits)));
    if (current.State.Paused) {
      await step(() => container.unpause());
    } else if (!current.State.Running) {
      // Written again before every start: covers a crash between create and start, and edits made at run time.
      await step(() => writeFiles(container, spec));
      await step(() => tolerate(container.start(), [304])).catch(async (err: RuntimeError) => {
        throw await explainStart(docker, spec, err);
      });
    }
  }

  const info = await step(() => inspectByName(docker, spec.name));
  if (!info) throw new RuntimeError('ensureContainer', spec.name, 'container vanished after start', { statusCode: 404 });
  return toContainerInfo(info);
}

async function oneOffLogs(container: Docker.Container): Promise<string> {
  const raw: unknown = await container.logs({ stdout: true, stderr: true, follow: false, tail: ONE_OFF_LOG_LINES });
  return tailText(demultiplex(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? ''))));
}

/** Exit codes of a process ended by SIGKILL and SIGTERM (128 + the signal's number). */
const SIGKILL_EXIT = 137;
const SIGTERM_EXIT = 143;

/** How often a one-off's state is read while waiting for its exit. */
const EXIT_POLL_MS = 2_000;

/**
 * The container's exit code; 'timeout' or 'cancelled' once it has been killed for either reason. The
 * engine's wait (a long poll) is backed by reading the container's state every EXIT_POLL_MS: a wait cut
 * off by an engine restart can stay unanswered for ever, and an engine that is away makes the read fail,
 * which fails the call (retried by the caller) instead of hanging it.
 */
async function waitForExit(
  container: Docker.Container,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number | 'timeout' | 'cancelled'> {
  const waiting = (container.wait() as Promise<{ StatusCode: number }>).then((r) => r.StatusCode);
  waiting.catch(() => undefined); // it may settle after the race is over
  const timers: NodeJS.Timeout[] = [];
  let onAbort: (() => void) | undefined;
  let settled = false;
  const stopped = new Promise<'timeout' | 'cancelled'>((resolve) => {
    timers.push(setTimeout(() => resolve('timeout'), timeoutMs));
    onAbort = () => resolve('cancelled');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  const polled = new Promise<number>((resolve, reject) => {
    const read = () => {
      if (settled) return;
      container.inspect().then((info) => {
        if (settled) return;
        if (!info.State.Running && !info.State.Restarting) resolve(info.State.ExitCode);
        else timers.push(setTimeout(read, EXIT_POLL_MS));
      }, reject);
    };
    timers.push(setTimeout(read, EXIT_POLL_MS));
  });
  let result: number | 'timeout' | 'cancelled';
  try {
    result = await Promise.race([waiting, polled, stopped]);
  } finally {
    settled = true;
    for (const timer of timers) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (typeof result === 'number') return result;
  await tolerate(container.kill(), [404, 409]);
  return result;
}

export async function runOneOff(
  docker: Docker,
  spec: Omit<ContainerSpec, 'restart' | 'publish'>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<OneOffResult> {
  validateSpec(spec);
  const secrets = messageSecretsOf(spec.env);
  const outputSecrets = outputSecretsOf(spec.env);
  const step = <T>(call: () => Promise<T>) => engineCall('runOneOff', spec.name, call, secrets);
  // A leftover from a run that crashed before cleaning up would block the name.
  const leftover = await step(() => inspectByName(docker, spec.name));
  if (leftover) await step(() => tolerate(docker.getContainer(leftover.Id).remove(REMOVE), [404]));

  const container = await step(() => docker.createContainer(createOptions({ ...spec, restart: 'no' }, { [ROLE_LABEL]: 'one-off' })));
  try {
    await step(() => writeFiles(container, spec));
    await step(() => container.start());
    const exitCode = await engineCall('runOneOff', spec.name, () => waitForExit(container, timeoutMs, signal), secrets, timeoutMs + 30_000);
    const output = redact(await step(() => oneOffLogs(container)), outputSecrets);
    if (exitCode === 'timeout')
      throw new RuntimeError('runOneOff', spec.name, `did not finish within ${timeoutMs} ms and was killed`, { output });
    if (exitCode === 'cancelled') throw new RuntimeError('runOneOff', spec.name, 'cancelled and killed', { output });
    if (exitCode === SIGKILL_EXIT || exitCode === SIGTERM_EXIT) {
      // Killed by a signal it did not send itself: the kernel's OOM killer (the program's own failure), or
      // someone stopping it from outside, above all the engine stopping every container when it shuts down.
      // The latter says nothing about the program: a transient error, so the operation is retried.
      const info = await step(() => tolerate(container.inspect(), [404]));
      if (!info?.State.OOMKilled) {
        throw new RuntimeError('runOneOff', spec.name, `was stopped from outside (exit ${exitCode}; the engine stopping or restarting?)`, {
          output,
          statusCode: 503,
        });
      }
    }
    return { exitCode, output };
  } finally {
    await removeQuietly(container);
  }
}

export async function listContainers(docker: Docker, labelFilters: string[]): Promise<ContainerInfo[]> {
  const summaries = await engineCall('listManagedContainers', labelFilters.join(','), () =>
    docker.listContainers({ all: true, filters: { label: labelFilters } }),
  );
  const infos: ContainerInfo[] = [];
  // Inspected a few at a time: the summaries lack start time, exit code and restart count.
  for (let i = 0; i < summaries.length; i += 8) {
    const batch = await Promise.all(
      summaries
        .slice(i, i + 8)
        .map((s) => engineCall('listManagedContainers', s.Id, () => tolerate(docker.getContainer(s.Id).inspect(), [404]))),
    );
    for (const info of batch) if (info) infos.push(toContainerInfo(info));
  }
  return infos;
}

export async function containerLogs(
  docker: Docker,
  name: string,
  options: { tail: number; follow: boolean; since?: number },
): Promise<Readable> {
  const container = docker.getContainer(name);
  const base = { stdout: true, stderr: true, tail: options.tail, ...(options.since === undefined ? {} : { since: options.since }) };
  if (!options.follow) {
    const raw: unknown = await engineCall('logs', name, () => container.logs({ ...base, follow: false }));
    return Readable.from([demultiplex(Buffer.isBuffer(raw) ? raw : Buffer.alloc(0))], { objectMode: false });
  }
  const source = (await engineCall('logs', name, () => container.logs({ ...base, follow: true }))) as Readable;
  const text = new Demultiplexer();
  // Destroying the returned stream tears down the pipeline and with it the engine connection.
  pipeline(source, text).catch(() => undefined);
  return text;
}

export async function containerStats(docker: Docker, name: string): Promise<ContainerStats | null> {
  const info = await engineCall('stats', name, () => inspectByName(docker, name));
  if (!info?.State.Running) return null;
  // Not one-shot: the engine samples twice, so precpu_stats is filled and the CPU delta means something.
  const stats = await engineCall('stats', name, () => docker.getContainer(info.Id).stats({ stream: false }));
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - (stats.precpu_stats.cpu_usage?.total_usage ?? 0);
  const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0);
  const cpus = stats.cpu_stats.online_cpus || stats.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const memory = stats.memory_stats;
  const memoryStats = (memory.stats ?? {}) as unknown as Record<string, number | undefined>;
  const usage = memory.usage ?? 0;
  // As `docker stats` does: page cache that can be reclaimed is not the container's memory use.
  const inactive = memoryStats.total_inactive_file ?? memoryStats.inactive_file ?? 0;
  return {
    cpuPercent: cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
    memoryBytes: inactive < usage ? usage - inactive : usage,
    memoryLimitBytes: memory.limit ?? 0,
  };
}

/** As `docker stats` does: page cache that can be reclaimed is not the container's memory use. */
function workingSet(memory: Docker.ContainerStats['memory_stats']): number {
  const memoryStats = (memory.stats ?? {}) as unknown as Record<string, number | undefined>;
  const usage = memory.usage ?? 0;
  const inactive = memoryStats.total_inactive_file ?? memoryStats.inactive_file ?? 0;
  return inactive < usage ? usage - inactive : usage;
}

/** One-shot stats (no second sample): cumulative CPU time and memory, cheap enough for a metrics loop. */
export async function containerUsage(docker: Docker, name: string): Promise<ContainerUsage | null> {
  const info = await engineCall('stats', name, () => inspectByName(docker, name));
  if (!info?.State.Running) return null;
  const options = { stream: false, 'one-shot': true } as { stream: false };
  const stats = await engineCall('stats', name, () => docker.getContainer(info.Id).stats(options));
  return {
    cpuSeconds: stats.cpu_stats.cpu_usage.total_usage / 1e9,
    memoryBytes: workingSet(stats.memory_stats),
    memoryLimitBytes: stats.memory_stats.limit ?? 0,
  };
}

export async function execInContainer(docker: Docker, name: string, command: string[]): Promise<OneOffResult> {
  if (command.length === 0) throw new RuntimeError('validate', name, 'exec needs a command');
  const step = <T>(call: () => Promise<T>) => engineCall('exec', name, call);
  const exec = await step(() => docker.getContainer(name).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false }));
  const stream = await step(() => exec.start({ hijack: true, stdin: false }));
  const output = new TailBuffer();
  // The command's output ends when it does, however long it runs: no engine-call limit here.
  await engineCall(
    'exec',
    name,
    () =>
      pipeline(
        stream,
        new Demultiplexer(),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            output.push(chunk);
            callback();
          },
        }),
      ),
    [],
    Number.POSITIVE_INFINITY,
  );
  // The stream can end a moment before the engine records the exit code.
  for (let attempt = 0; ; attempt++) {
    const info = await step(() => exec.inspect());
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output: output.toString() };
    if (attempt >= 100) throw new RuntimeError('exec', name, 'the command ended its output but never reported an exit code');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
