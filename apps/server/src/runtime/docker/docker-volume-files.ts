import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { extract, type Pack, pack } from 'tar-stream';
import { isSafeRelativePath } from '../../backups/archive-format.js';
import { RuntimeError } from '../instance-runtime.js';
import { engineStatus, tolerate, toRuntimeError } from './docker-errors.js';
import { assertName, REMOVE } from './docker-spec.js';
import { ancestorsOf, relativeVolumePath } from './docker-tar.js';
import { createHelper, MOUNT, pathExists, volumeExists } from './docker-volumes.js';

/*
 * Moving a volume's directory to and from the worker's own disk (backups and restores), through the engine's
 * archive API and a never-started helper container, so no tool is needed in the image. Only regular files and
 * directories cross, under safe names: a tenant controls what is in its volume, so links, devices and odd names
 * it planted never reach the host's filesystem, and nothing it planted survives a restore.
 */

export interface ExportResult {
  found: boolean;
  files: number;
  bytes: number;
  /** Entries not written: links, devices, fifos, unsafe names (relative to the exported directory). */
  skipped: string[];
}

const helperName = (kind: string) => `saas-files-${randomBytes(6).toString('hex')}-${kind}`;

async function removeHelper(helper: Docker.Container | undefined): Promise<void> {
  if (helper) await tolerate(helper.remove(REMOVE), [404]).catch(() => undefined);
}

/** "data/ab/cd" → "ab/cd": archive names start with the exported directory's own name. */
function stripTop(name: string): string {
  const slash = name.indexOf('/');
  return slash === -1 ? '' : name.slice(slash + 1).replace(/\/+$/, '');
}

async function assertEmptyDir(dir: string, target: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if ((await readdir(dir)).length > 0) throw new RuntimeError('validate', target, `destination ${dir} is not empty`);
}

function validatedPath(path: string, target: string, allowRoot: boolean): string {
  const rel = relativeVolumePath(path);
  if (rel === null || (!allowRoot && rel === '')) {
    throw new RuntimeError(
      'validate',
      target,
      allowRoot ? 'the path must stay inside the volume' : 'the path must be inside the volume, not its root',
    );
  }
  return rel;
}

/**
 * Streams the volume's directory `path` into the empty local `destDir`, entry by entry (no file is held
 * whole in memory). Files are created exclusively and never through a link; owners and modes are not kept.
 */
export async function exportVolumeDir(docker: Docker, volume: string, path: string, destDir: string, image: string): Promise<ExportResult> {
  const target = `${volume}:${path}`;
  assertName('volume', volume);
  const rel = validatedPath(path, target, true);
  await assertEmptyDir(destDir, target);
  if (!(await volumeExists(docker, volume)))
    throw new RuntimeError('exportVolumeDir', target, `volume ${volume} not found`, { statusCode: 404 });

  const result: ExportResult = { found: true, files: 0, bytes: 0, skipped: [] };
  let helper: Docker.Container | undefined;
  let archive: Readable | undefined;
  try {
    helper = await createHelper(docker, helperName('export'), image, volume, true);
    archive = (await helper.getArchive({ path: rel === '' ? MOUNT : `${MOUNT}/${rel}` }).catch((err: unknown) => {
      if (engineStatus(err) === 404) return undefined;
      throw err;
    })) as Readable | undefined;
    if (!archive) return { found: false, files: 0, bytes: 0, skipped: [] };

    const input = extract();
    let first = true;
    const done = new Promise<void>((resolve, reject) => {
      input.on('entry', (header, stream, next) => {
        const fail = (err: unknown) => {
          stream.resume();
          input.destroy(err as Error);
        };
        const name = stripTop(header.name);
        if (first) {
          first = false;
          if (name !== '' || header.type !== 'directory')
            return fail(new RuntimeError('exportVolumeDir', target, 'the source is not a directory'));
          stream.resume();
          return next();
        }
        if (name === '' || !isSafeRelativePath(name) || (header.type !== 'file' && header.type !== 'directory')) {
          result.skipped.push(name || header.name);
          stream.on('end', () => next());
          stream.resume();
          return;
        }
        const local = join(destDir, name);
        if (header.type === 'directory') {
          // Parents come before their children in the engine's archives; a child of a skipped entry is unsafe too.
          stream.resume();
          mkdir(local, { mode: 0o755 }).then(() => next(), fail);
          return;
        }
        // O_EXCL|O_NOFOLLOW: never write through a link or over an entry, whatever the archive says.
        open(local, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
          .then((handle) => pipeline(stream, handle.createWriteStream()))
          .then(() => {
            result.files++;
            result.bytes += header.size ?? 0;
            next();
          }, fail);
      });
      input.on('finish', resolve);
      input.on('error', reject);
      archive?.on('error', reject);
    });
    archive.pipe(input as unknown as NodeJS.WritableStream);
    await done;
    return result;
  } catch (err) {
    throw toRuntimeError('exportVolumeDir', target, err);
  } finally {
    archive?.destroy();
    await removeHelper(helper);
  }
}

/** The owner of the volume's root directory, from the first header of its archive (the rest is never read). */
async function volumeRootOwner(helper: Docker.Container): Promise<{ uid: number; gid: number }> {
  const archive = (await helper.getArchive({ path: MOUNT })) as Readable;
  const input = extract();
  try {
    return await new Promise((resolve, reject) => {
      input.once('entry', (header) => resolve({ uid: header.uid ?? 0, gid: header.gid ?? 0 }));
      input.on('error', reject);
      archive.on('error', reject);
      input.on('finish', () => reject(new Error('empty archive of the volume root')));
      archive.pipe(input as unknown as NodeJS.WritableStream);
    });
  } finally {
    archive.unpipe();
    archive.destroy();
    input.destroy();
  }
}

/** Writes the local tree under `dest` into the pack, one file open at a time. */
async function packTree(
  output: Pack,
  srcDir: string,
  dest: string,
  owner: { uid: number; gid: number },
  count: { files: number; bytes: number },
) {
  const entry = (header: Parameters<Pack['entry']>[0], body?: Readable) =>
    new Promise<void>((resolve, reject) => {
      const sink = output.entry({ ...header, ...owner, mtime: new Date() }, (err) => (err ? reject(err) : resolve()));
      if (body) pipeline(body, sink).catch(reject);
    });
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const local = join(dir, name);
      const relName = rel === '' ? name : `${rel}/${name}`;
      if (!isSafeRelativePath(relName)) throw new Error(`unsafe name ${JSON.stringify(relName)} in ${srcDir}`);
      const stat = await lstat(local);
      if (stat.isDirectory()) {
        await entry({ name: `${dest}/${relName}`, type: 'directory', mode: 0o755 });
        await walk(local, relName);
      } else if (stat.isFile()) {
        await entry({ name: `${dest}/${relName}`, type: 'file', mode: 0o644, size: stat.size }, createReadStream(local));
        count.files++;
        count.bytes += stat.size;
      } else {
        throw new Error(`${relName} in ${srcDir} is not a regular file or directory`);
      }
    }
  };
  await walk(srcDir, '');
}

/**
 * Replaces the volume's directory `path` with the local `srcDir` (regular files and directories only), every
 * entry owned like the volume's root (Odoo's volume belongs to its uid 101), missing parents created likewise.
 * As in `retargetArchive`, an empty file put at `path` first removes whatever tree was there.
 */
export async function importVolumeDir(
  docker: Docker,
  volume: string,
  path: string,
  srcDir: string,
  image: string,
): Promise<{ files: number; bytes: number }> {
  const target = `${volume}:${path}`;
  assertName('volume', volume);
  const dest = validatedPath(path, target, false);
  if (!(await lstat(srcDir)).isDirectory()) throw new RuntimeError('validate', target, `${srcDir} is not a directory`);
  if (!(await volumeExists(docker, volume)))
    throw new RuntimeError('importVolumeDir', target, `volume ${volume} not found`, { statusCode: 404 });

  const count = { files: 0, bytes: 0 };
  let helper: Docker.Container | undefined;
  try {
    helper = await createHelper(docker, helperName('import'), image, volume, false);
    const owner = await volumeRootOwner(helper);
    const missing: string[] = [];
    for (const dir of ancestorsOf(dest)) {
      if (missing.length > 0 || !(await pathExists(helper, `${MOUNT}/${dir}`))) missing.push(dir);
    }
    const output = pack();
    const produce = (async () => {
      const mtime = new Date();
      for (const dir of missing) output.entry({ name: dir, type: 'directory', mode: 0o755, ...owner, mtime });
      output.entry({ name: dest, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime }, Buffer.alloc(0));
      output.entry({ name: dest, type: 'directory', mode: 0o755, ...owner, mtime });
      await packTree(output, srcDir, dest, owner, count);
      output.finalize();
    })();
    // A local failure ends the upload with it, and is the error reported (not the engine's cut-off request).
    const failed = produce.catch((err: unknown) => {
      output.destroy(err as Error);
      throw err;
    });
    const put = helper.putArchive(Readable.from(output, { objectMode: false }), { path: MOUNT });
    await Promise.all([
      failed,
      put.catch(async (err: unknown) => {
        await failed;
        throw err;
      }),
    ]);
    return count;
  } catch (err) {
    throw err instanceof RuntimeError ? err : toRuntimeError('importVolumeDir', target, err);
  } finally {
    await removeHelper(helper);
  }
}
