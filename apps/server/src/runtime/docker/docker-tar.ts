import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { extract, type Header, pack } from 'tar-stream';
import type { FileToWrite } from '../instance-runtime.js';

/** A tar of the files, named relative to `base` (the directory the archive is put into; by default the root). */
export async function filesArchive(files: readonly FileToWrite[], base = '/'): Promise<Buffer> {
  const archive = pack();
  const mtime = new Date();
  for (const file of files) {
    const name = posix.relative(base, file.path);
    archive.entry({ name, type: 'file', mode: file.mode, uid: file.uid, gid: file.gid, mtime }, file.content);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Replaces an archive path's first segment ("filestore/ab/cd" → "<dest>/ab/cd"). */
function retarget(name: string, dest: string): string {
  const slash = name.indexOf('/');
  const rest = slash === -1 ? '' : name.slice(slash + 1).replace(/\/+$/, '');
  return rest === '' ? dest : `${dest}/${rest}`;
}

/**
 * Rewrites a `docker cp`-style archive (one top-level entry) so that it unpacks at `dest` (a path relative to
 * the directory the archive is put into), streaming entry by entry. Owners, modes, times, xattrs and links
 * are kept; hard-link targets are renamed with their entries.
 *
 * Ahead of the tree it emits `ancestors` as directories (owned like the copied top-level entry) and an empty
 * regular file at `dest`: the engine replaces any existing path unless both old and new are directories, so
 * that file removes whatever tree was at `dest`, and the copied top-level entry then replaces the file. The
 * destination ends up an exact copy, with no stale files from an earlier copy, and no shell in the image.
 */
export function retargetArchive(source: Readable, dest: string, ancestors: readonly string[]): Readable {
  const input = extract();
  const output = pack();
  let first = true;
  input.on('entry', (header, stream, next) => {
    if (first) {
      first = false;
      const owner = { uid: header.uid, gid: header.gid, uname: header.uname, gname: header.gname, mtime: header.mtime };
      for (const dir of ancestors) output.entry({ ...owner, name: dir, type: 'directory', mode: 0o755 });
      output.entry({ name: dest, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: header.mtime }, Buffer.alloc(0));
    }
    const entry: Header = { ...header, name: retarget(header.name, dest) };
    if (header.type === 'link') entry.linkname = retarget(header.linkname, dest);
    if (header.pax) {
      // The pax record's path would override the new name.
      const { path: _path, linkpath: _linkpath, ...pax } = header.pax as Record<string, string>;
      entry.pax = Object.keys(pax).length > 0 ? pax : null;
    }
    stream.pipe(output.entry(entry, next));
  });
  input.on('finish', () => output.finalize());
  input.on('error', (err) => output.destroy(err));
  source.on('error', (err) => input.destroy(err));
  source.pipe(input as unknown as NodeJS.WritableStream);
  return Readable.from(output, { objectMode: false });
}

/** "a/b/c" → ["a", "a/b"]. */
export function ancestorsOf(relativePath: string): string[] {
  const parts = relativePath.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** A path inside a volume, relative to its root ("" for the root itself), or null if it tries to climb out. */
export function relativeVolumePath(path: string): string | null {
  if (path.split('/').includes('..')) return null;
  return posix.normalize(`/${path}`).replace(/\/+$/, '').slice(1);
}
