import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, IMAGE, n, oneOff, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { RuntimeError } from '../instance-runtime.js';

// Against the real engine with the Odoo stand-in image (test/support/docker-runtime.ts).
useTestRun();

const scratch: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vol-files-'));
  scratch.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file under `dir` (relative name → sha256). */
async function checksums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = sha(await readFile(join(entry.parentPath, entry.name)));
  }
  return out;
}

/** A volume seeded like an instance's: its root belongs to the image's uid 101. */
async function odooVolume(suffix: string) {
  const name = n(suffix);
  await runtime.ensureVolume(name, RUN_LABEL, { image: IMAGE, path: '/var/lib/odoo' });
  return name;
}

/** uid:gid of each path under the volume, seen from inside a container. */
async function owners(volume: string, paths: string[]) {
  const script = `const fs = require('fs'); console.log(JSON.stringify(${JSON.stringify(paths)}.map((p) => { const s = fs.lstatSync('/v/' + p); return s.uid + ':' + s.gid; })))`;
  const res = await oneOff(`stat-${randomBytes(3).toString('hex')}`, script, [{ volume, target: '/v', readOnly: true }]);
  expect(res.exitCode).toBe(0);
  return JSON.parse(res.output.trim()) as string[];
}

describe('importVolumeDir / exportVolumeDir', () => {
  it('round-trips a tree, owned by the volume root, and replaces it without stale files', async () => {
    const volume = await odooVolume('files-rt');
    const src = await tempDir();
    await mkdir(join(src, 'a/b/c'), { recursive: true });
    await writeFile(join(src, 'a/b/c/deep.txt'), 'deep');
    await writeFile(join(src, 'a/stale.txt'), 'stale');
    await writeFile(join(src, 'big.bin'), randomBytes(5 * 1024 * 1024));
    await mkdir(join(src, 'empty'));

    const imported = await runtime.importVolumeDir(volume, 'stage/restore/data', src, IMAGE);
    expect(imported).toEqual({ files: 3, bytes: 5 * 1024 * 1024 + 9 });
    expect(
      await owners(volume, ['stage', 'stage/restore/data', 'stage/restore/data/a/b/c/deep.txt', 'stage/restore/data/big.bin']),
    ).toEqual(Array(4).fill('101:101'));

    const dest = join(await tempDir(), 'not-yet-there');
    const exported = await runtime.exportVolumeDir(volume, 'stage/restore/data', dest, IMAGE);
    expect(exported).toEqual({ found: true, files: 3, bytes: 5 * 1024 * 1024 + 9, skipped: [] });
    expect(await checksums(dest)).toEqual(await checksums(src));
    expect((await readdir(dest)).sort()).toEqual(['a', 'big.bin', 'empty']);

    // A second import replaces the tree entirely.
    await rm(join(src, 'a/stale.txt'));
    await writeFile(join(src, 'big.bin'), 'small now');
    await runtime.importVolumeDir(volume, 'stage/restore/data', src, IMAGE);
    const again = await tempDir();
    expect(await runtime.exportVolumeDir(volume, 'stage/restore/data', again, IMAGE)).toMatchObject({ files: 2, bytes: 13 });
    expect(await checksums(again)).toEqual(await checksums(src));

    // An empty source empties the directory (how a staging area is cleared).
    await runtime.importVolumeDir(volume, 'stage/restore/data', await tempDir(), IMAGE);
    expect(await runtime.exportVolumeDir(volume, 'stage/restore/data', await tempDir(), IMAGE)).toEqual({
      found: true,
      files: 0,
      bytes: 0,
      skipped: [],
    });
  });

  it('skips links, fifos, devices and unsafe names on export', async () => {
    const volume = await odooVolume('files-odd');
    // Planted through the engine's archive API, as a tenant's code could create them in its volume.
    const tar = pack();
    const base = { uid: 101, gid: 101, mtime: new Date() };
    tar.entry({ ...base, name: 'data', type: 'directory', mode: 0o755 });
    tar.entry({ ...base, name: 'data/ok.txt', type: 'file', mode: 0o644 }, 'fine');
    tar.entry({ ...base, name: 'data/link', type: 'symlink', linkname: '/etc/passwd', mode: 0o777 });
    tar.entry({ ...base, name: 'data/hard', type: 'link', linkname: 'data/ok.txt', mode: 0o644 });
    tar.entry({ ...base, name: 'data/fifo', type: 'fifo', mode: 0o644 });
    tar.entry({ ...base, name: 'data/.hidden', type: 'file', mode: 0o644 }, 'odd name');
    tar.entry({ ...base, name: 'data/dir with space', type: 'directory', mode: 0o755 });
    tar.entry({ ...base, name: 'data/dir with space/inner.txt', type: 'file', mode: 0o644 }, 'inside');
    tar.finalize();
    const helper = await docker.createContainer({
      name: n('plant'),
      Image: IMAGE,
      Entrypoint: ['/never-started'],
      Labels: RUN_LABEL,
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
    });
    await helper.putArchive(tar as unknown as NodeJS.ReadableStream, { path: '/v' });
    await helper.remove({ force: true });

    const dest = await tempDir();
    const result = await runtime.exportVolumeDir(volume, 'data', dest, IMAGE);
    expect(result.files).toBe(1);
    // Of two hard-linked names, the engine archives whichever it reads first as the file, the other as a link.
    const kept = (await readdir(dest))[0] ?? '';
    const linked = kept === 'ok.txt' ? 'hard' : 'ok.txt';
    expect(await readdir(dest)).toEqual([kept]);
    expect(await readFile(join(dest, kept), 'utf8')).toBe('fine');
    expect(result.skipped.sort()).toEqual(['.hidden', 'dir with space', 'dir with space/inner.txt', 'fifo', linked, 'link'].sort());
  });

  it('reports a missing source and leaves the destination empty; refuses a non-empty destination', async () => {
    const volume = await odooVolume('files-missing');
    const dest = await tempDir();
    expect(await runtime.exportVolumeDir(volume, 'nothing/here', dest, IMAGE)).toEqual({ found: false, files: 0, bytes: 0, skipped: [] });
    expect(await readdir(dest)).toEqual([]);
    await writeFile(join(dest, 'x'), 'x');
    await expect(runtime.exportVolumeDir(volume, 'nothing/here', dest, IMAGE)).rejects.toThrow(/not empty/);
  });

  it('refuses a source tree with a symlink, and paths out of the volume', async () => {
    const volume = await odooVolume('files-bad');
    const src = await tempDir();
    await writeFile(join(src, 'ok.txt'), 'ok');
    await symlink('/etc/passwd', join(src, 'link'));
    await expect(runtime.importVolumeDir(volume, 'data', src, IMAGE)).rejects.toThrow(/not a regular file/);
    await expect(runtime.importVolumeDir(volume, '../escape', await tempDir(), IMAGE)).rejects.toBeInstanceOf(RuntimeError);
    await expect(runtime.importVolumeDir(volume, '/', await tempDir(), IMAGE)).rejects.toBeInstanceOf(RuntimeError);
  });
});
