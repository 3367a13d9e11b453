import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type Labels, RuntimeError, VOLUME_SEED_ROLE } from '../instance-runtime.js';
import { engineCall, engineStatus, tolerate, toRuntimeError } from './docker-errors.js';
import { assertName, labelFilters, MANAGED_LABEL, REMOVE, ROLE_LABEL } from './docker-spec.js';
import { ancestorsOf, relativeVolumePath, retargetArchive } from './docker-tar.js';

export async function volumeExists(docker: Docker, name: string): Promise<boolean> {
  assertName('volume', name);
  const info = await engineCall('volumeExists', name, () => tolerate(docker.getVolume(name).inspect(), [404]));
  return info !== undefined && info.Name === name;
}

export async function ensureVolume(docker: Docker, name: string, labels: Labels, seed?: { image: string; path: string }): Promise<void> {
  if (await volumeExists(docker, name)) return;
  // The engine answers a create of an existing name with that volume, so a lost race is harmless too.
  await engineCall('ensureVolume', name, () =>
    docker.createVolume({ Name: name, Driver: 'local', Labels: { ...labels, [MANAGED_LABEL]: 'true' } }),
  );
  if (!seed) return;
  // Creating (not starting) a container that mounts the empty volume makes the engine copy the image's
  // directory into it, owner included. (A crash right before this leaves an unseeded volume: callers
  // that need the seed remove a volume they have not finished preparing before calling again.)
  const helper = await engineCall('ensureVolume', name, () =>
    docker.createContainer({
      name: `saas-seed-${randomBytes(6).toString('hex')}`,
      Image: seed.image,
      Entrypoint: ['/saas-seed-helper-is-never-started'],
      // The volume's labels (its platform, its instance): a helper a crash leaves behind is found and removed.
      Labels: { ...labels, [MANAGED_LABEL]: 'true', [ROLE_LABEL]: VOLUME_SEED_ROLE },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], Mounts: [{ Type: 'volume', Source: name, Target: seed.path }] },
    }),
  );
  await engineCall('ensureVolume', name, () => tolerate(helper.remove(REMOVE), [404])).catch(() => undefined);
}

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  assertName('volume', name);
  await engineCall('removeVolume', name, () => tolerate(docker.getVolume(name).remove(), [404]));
}

export async function listVolumes(docker: Docker, labels: Labels) {
  const answer = (await engineCall('listVolumes', labelFilters(labels).join(','), () =>
    docker.listVolumes({ filters: { label: labelFilters(labels) } }),
  )) as { Volumes?: Docker.VolumeInspectInfo[] | null };
  return (answer.Volumes ?? []).map((v) => ({ name: v.Name, nodeId: null, labels: v.Labels ?? {} }));
}

/** How long one `docker system df` answers every volume-usage question (it walks every volume, so it is slow). */
export const VOLUME_USAGE_MAX_AGE_MS = 60_000;

interface UsageSample {
  at: number;
  sizes: Promise<Map<string, number>>;
}

/** One sample per engine client, shared by every caller; a call in flight is shared too (single flight). */
const usageSamples = new WeakMap<Docker, UsageSample>();

function volumeSizes(docker: Docker, now = Date.now()): Promise<Map<string, number>> {
  const cached = usageSamples.get(docker);
  if (cached && now - cached.at < VOLUME_USAGE_MAX_AGE_MS) return cached.sizes;
  const sample: UsageSample = {
    at: now,
    sizes: engineCall('volumeUsage', 'df', () => dfWhenFree(docker)).then((df: { Volumes?: Docker.VolumeInspectInfo[] | null }) => {
      const sizes = new Map<string, number>();
      for (const v of df.Volumes ?? []) {
        const size = v.UsageData?.Size;
        if (typeof size === 'number' && size >= 0) sizes.set(v.Name, size);
      }
      return sizes;
    }),
  };
  // A failure is not cached: the next caller asks the engine again.
  sample.sizes.catch(() => {
    if (usageSamples.get(docker) === sample) usageSamples.delete(docker);
  });
  usageSamples.set(docker, sample);
  return sample.sizes;
}

/**
 * The engine runs one disk-usage walk at a time and refuses a second one meanwhile ("a disk usage operation is
 * already running", from another process's `df`): wait for it, up to half a minute, rather than fail.
 */
async function dfWhenFree(docker: Docker): Promise<{ Volumes?: Docker.VolumeInspectInfo[] | null }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await docker.df();
    } catch (err) {
      const busy = /disk usage operation is already running/i.test(err instanceof Error ? err.message : String(err));
      if (!busy || attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Bytes used by a volume, from a `df` sample at most VOLUME_USAGE_MAX_AGE_MS old (null when unknown). */
export async function volumeUsage(docker: Docker, name: string): Promise<number | null> {
  assertName('volume', name);
  return (await volumeSizes(docker)).get(name) ?? null;
}

/** Where the helper containers mount their volume. */
export const MOUNT = '/saas-copy';

/**
 * A container that is created and never started: the engine's archive endpoints then read and write its
 * volume with no shell or tool needed in the image.
 */
export function createHelper(docker: Docker, name: string, image: string, volume: string, readOnly: boolean): Promise<Docker.Container> {
  return docker.createContainer({
    name,
    Image: image,
    // Never run; set so that images without an entrypoint or command can be used too.
    Entrypoint: ['/saas-copy-helper-is-never-started'],
    Labels: { [MANAGED_LABEL]: 'true', [ROLE_LABEL]: 'volume-copy' },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      Mounts: [
        {
          Type: 'volume',
          Source: volume,
          Target: MOUNT,
          ReadOnly: readOnly,
          VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
        },
      ],
    },
  });
}

export async function pathExists(container: Docker.Container, path: string): Promise<boolean> {
  return (await tolerate(container.infoArchive({ path }), [404])) !== undefined;
}

/**
 * Copies `from.path` of one volume to `to.path` of another (or the same) volume, keeping owners, modes and
 * times. Streams through the engine's archive API between two never-started helper containers, one per side:
 * the engine keeps a container locked while an archive is read from it, so one container could not feed itself.
 * An existing destination is replaced entirely (see `retargetArchive`); missing parent directories are created
 * owned like the copied directory. A copy cut short leaves a partial destination that the next run replaces.
 */
export async function copyBetweenVolumes(
  docker: Docker,
  from: { volume: string; path: string },
  to: { volume: string; path: string },
  image: string,
): Promise<void> {
  const target = `${from.volume}:${from.path} -> ${to.volume}:${to.path}`;
  assertName('volume', from.volume);
  assertName('volume', to.volume);
  const source = relativeVolumePath(from.path);
  const dest = relativeVolumePath(to.path);
  if (source === null || dest === null || dest === '') {
    throw new RuntimeError('validate', target, 'paths must stay inside their volume and the destination cannot be its root');
  }
  const within = (a: string, b: string) => a === b || b === '' || a.startsWith(`${b}/`);
  if (from.volume === to.volume && (within(dest, source) || within(source, dest))) {
    throw new RuntimeError('validate', target, 'source and destination overlap');
  }
  for (const volume of [from.volume, to.volume]) {
    if (!(await volumeExists(docker, volume)))
      throw new RuntimeError('copyBetweenVolumes', target, `volume ${volume} not found`, { statusCode: 404 });
  }

  const suffix = randomBytes(6).toString('hex');
  const helpers: Docker.Container[] = [];
  let archive: Readable | undefined;
  try {
    const reader = await createHelper(docker, `saas-copy-${suffix}-from`, image, from.volume, true);
    helpers.push(reader);
    const writer = await createHelper(docker, `saas-copy-${suffix}-to`, image, to.volume, false);
    helpers.push(writer);

    const missing: string[] = [];
    for (const dir of ancestorsOf(dest)) {
      if (missing.length > 0 || !(await pathExists(writer, `${MOUNT}/${dir}`))) missing.push(dir);
    }
    archive = (await reader.getArchive({ path: source === '' ? MOUNT : `${MOUNT}/${source}` }).catch((err: unknown) => {
      throw engineStatus(err) === 404
        ? new RuntimeError('copyBetweenVolumes', target, `source path ${from.path} not found`, { statusCode: 404 })
        : err;
    })) as Readable;
    await writer.putArchive(retargetArchive(archive, dest, missing), { path: MOUNT });
  } catch (err) {
    throw toRuntimeError('copyBetweenVolumes', target, err);
  } finally {
    archive?.destroy();
    await Promise.all(helpers.map((h) => tolerate(h.remove(REMOVE), [404]).catch(() => undefined)));
  }
}
