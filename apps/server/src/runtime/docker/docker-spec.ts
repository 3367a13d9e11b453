import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { type ContainerSpec, type FileToWrite, type Labels, type ResourceLimits, RuntimeError } from '../instance-runtime.js';

/** Labels the driver puts on everything it creates. */
export const MANAGED_LABEL = 'saas.managed';
export const SPEC_HASH_LABEL = 'saas.spec-hash';
export const ROLE_LABEL = 'saas.role';

/**
 * Bumped when the driver changes what it derives from a spec (hardening, log options...), so that
 * containers created by an older driver count as stale and get recreated.
 */
const TEMPLATE_VERSION = 1;

/**
 * `v: true` also deletes the anonymous volumes the engine made for the image's VOLUME paths that the spec
 * does not mount (the Odoo image declares /mnt/extra-addons); named volumes are never touched by it.
 */
export const REMOVE = { force: true, v: true } as const;

const MiB = 1024 * 1024;

/** Docker's own rule for container and volume names. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function assertName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new RuntimeError('validate', name, `invalid ${kind} name`);
}

export function assertLimits(target: string, limits: ResourceLimits): void {
  const ok = (n: number, min: number) => Number.isInteger(n) && n >= min;
  if (!ok(limits.memoryMb, 6) || !ok(limits.cpuMillis, 1) || !ok(limits.pids, 1)) {
    throw new RuntimeError('validate', target, 'limits must be integers: memoryMb >= 6, cpuMillis >= 1, pids >= 1');
  }
}

/** An absolute path with no `.`/`..`/empty segments, so a tar entry built from it cannot land elsewhere. */
export function assertAbsolutePath(target: string, path: string): void {
  if (!path.startsWith('/') || path === '/' || posix.normalize(path) !== path || path.endsWith('/')) {
    throw new RuntimeError('validate', target, `path ${JSON.stringify(path)} must be absolute and normalized`);
  }
}

export function limitsToHostConfig(limits: ResourceLimits) {
  const memory = limits.memoryMb * MiB;
  return { Memory: memory, MemorySwap: memory, NanoCpus: limits.cpuMillis * 1_000_000, PidsLimit: limits.pids };
}

export function limitsMatch(hostConfig: Docker.HostConfig, limits: ResourceLimits): boolean {
  const wanted = limitsToHostConfig(limits);
  return (
    hostConfig.Memory === wanted.Memory &&
    hostConfig.MemorySwap === wanted.MemorySwap &&
    hostConfig.NanoCpus === wanted.NanoCpus &&
    hostConfig.PidsLimit === wanted.PidsLimit
  );
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Hash of everything that needs a new container when it changes: the spec with files' content, and the image's
 * id (a rebuilt tag counts as a change). Limits are left out: `ensureContainer` applies them in place
 * (`docker update`) instead of recreating the container.
 */
export function specHash(spec: ContainerSpec, imageId: string): string {
  const { limits: _limits, ...rest } = spec;
  return createHash('sha256')
    .update(JSON.stringify(canonical({ template: TEMPLATE_VERSION, imageId, ...rest })))
    .digest('hex');
}

/** The spec's files by the directory that holds them. */
export function filesByDirectory(files: readonly FileToWrite[]): Map<string, FileToWrite[]> {
  const groups = new Map<string, FileToWrite[]>();
  for (const file of files) {
    const dir = posix.dirname(file.path);
    groups.set(dir, [...(groups.get(dir) ?? []), file]);
  }
  return groups;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * Directories that get a scratch volume of the container's own (anonymous, removed with it): with a read-only
 * root, the engine refuses to copy files anywhere but into a volume, so each directory of `files` that no
 * mount already covers becomes one. The engine fills it with the image's content first, owners included.
 */
export function scratchVolumeDirs(spec: Pick<ContainerSpec, 'files' | 'mounts' | 'readOnlyRootfs'>): string[] {
  if (!spec.readOnlyRootfs) return [];
  return [...filesByDirectory(spec.files).keys()].filter((dir) => !spec.mounts.some((m) => within(dir, m.target)));
}

export function labelFilters(labels: Labels): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/** The hardened create request shared by long-running and one-off containers. */
export function createOptions(
  spec: Omit<ContainerSpec, 'restart' | 'publish'> & Partial<Pick<ContainerSpec, 'restart' | 'publish'>>,
  labels: Labels,
): Docker.ContainerCreateOptions {
  const publish = spec.publish ?? [];
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.command.length > 0 ? { Cmd: spec.command } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels, ...labels, [MANAGED_LABEL]: 'true' },
    User: spec.user,
    Tty: false,
    OpenStdin: false,
    ExposedPorts: Object.fromEntries(publish.map((p) => [`${p.containerPort}/tcp`, {}])),
    HostConfig: {
      ...limitsToHostConfig(spec.limits),
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: spec.readOnlyRootfs ?? false,
      AutoRemove: false,
      RestartPolicy: { Name: spec.restart ?? 'no' },
      NetworkMode: spec.network,
      Mounts: specMounts(spec),
      PortBindings: Object.fromEntries(
        publish.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.hostPort) }]]),
      ),
      ExtraHosts: spec.extraHosts,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: {} } },
  };
}

export function validateSpec(spec: Omit<ContainerSpec, 'restart' | 'publish'> & Partial<Pick<ContainerSpec, 'publish'>>): void {
  assertName('container', spec.name);
  assertName('network', spec.network);
  assertLimits(spec.name, spec.limits);
  for (const key of Object.keys(spec.env)) {
    if (!ENV_KEY.test(key)) throw new RuntimeError('validate', spec.name, `invalid env key ${JSON.stringify(key)}`);
  }
  for (const mount of spec.mounts) {
    assertName('volume', mount.volume);
    assertAbsolutePath(spec.name, mount.target);
  }
  for (const file of spec.files) assertAbsolutePath(spec.name, file.path);
  for (const tmpfs of spec.tmpfs ?? []) {
    assertAbsolutePath(spec.name, tmpfs.target);
    if (!Number.isInteger(tmpfs.sizeMb) || tmpfs.sizeMb < 1)
      throw new RuntimeError('validate', spec.name, 'tmpfs sizeMb must be an integer >= 1');
    // A tmpfs is mounted at start, over whatever was copied in before.
    if (spec.files.some((f) => within(f.path, tmpfs.target))) {
      throw new RuntimeError('validate', spec.name, `files cannot be placed under the tmpfs ${tmpfs.target}`);
    }
  }
  for (const { containerPort, hostPort } of spec.publish ?? []) {
    const port = (n: number) => Number.isInteger(n) && n > 0 && n < 65536;
    if (!port(containerPort) || !port(hostPort)) throw new RuntimeError('validate', spec.name, 'ports must be integers in 1..65535');
  }
}

/**
 * A spec's mounts as the engine takes them, for a container (HostConfig.Mounts) and a Swarm task alike: its
 * volumes, an anonymous volume (no source: removed with the container or task) for each directory of its
 * files, and its tmpfs, sticky and world-writable as /tmp is on a normal system.
 */
export function specMounts(spec: Pick<ContainerSpec, 'mounts' | 'files' | 'tmpfs' | 'readOnlyRootfs'>) {
  return [
    ...spec.mounts.map((m) => ({ Type: 'volume' as const, Source: m.volume, Target: m.target, ReadOnly: m.readOnly ?? false })),
    ...scratchVolumeDirs(spec).map((dir) => ({ Type: 'volume' as const, Source: '', Target: dir, ReadOnly: false })),
    ...(spec.tmpfs ?? []).map((t) => ({
      Type: 'tmpfs' as const,
      Source: '',
      Target: t.target,
      TmpfsOptions: { SizeBytes: t.sizeMb * MiB, Mode: 0o1777 },
    })),
  ];
}
