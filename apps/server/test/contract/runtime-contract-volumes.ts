import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RuntimeError } from '../../src/runtime/instance-runtime.js';
import { type ContractFixture, MiB } from './runtime-contract-fixture.js';

/**
 * The InstanceRuntime contract, volumes and the files in them: the contract's volume is made here (the containers'
 * tests mount it), seeded from the image; trees copied between volumes, imported from and exported to the tests' host.
 */

// Lists a tree: relative name, owner, mode, and content, link target or "dir".
const LIST = `const fs = require('fs'), path = require('path'); const root = process.argv[1];
  const walk = (p) => { const s = fs.lstatSync(p); const rel = path.relative(root, p);
    console.log([rel ? './' + rel : '.', s.uid, s.gid, (s.mode & 0o7777).toString(8),
      s.isSymbolicLink() ? '->' + fs.readlinkSync(p) : s.isFile() ? fs.readFileSync(p, 'utf8') : 'dir'].join(' '));
    if (s.isDirectory()) for (const c of fs.readdirSync(p).sort()) walk(path.join(p, c)); };
  walk(root);`;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file under `dir` (relative name → sha256). */
async function checksums(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    if (entry.isFile()) out[full.slice(dir.length + 1)] = sha(await readFile(full));
  }
  return out;
}

export function volumesAndFiles(f: ContractFixture): void {
  const { c, rt, data, oneOff, onData, tempDir } = f;
  const list = async (dir: string) => {
    const result = await oneOff('ct-list', LIST, onData, 30_000, [dir]);
    expect(result.exitCode).toBe(0);
    return result.output.trim().split('\n');
  };

  it('volumes: ensured once, seeded with the image directory and its owner, listed by label with their node, removed (twice)', async () => {
    await rt().ensureVolume(data, c.labels, { image: c.image, path: '/var/lib/odoo' });
    await rt().ensureVolume(data, c.labels, { image: c.image, path: '/var/lib/odoo' });
    expect(await rt().volumeExists(data)).toBe(true);
    expect(await rt().volumeExists(c.name('ct-never'))).toBe(false);
    // The seed's owner (the image's uid 101) holds the volume's root, so uid 101 can write into it.
    const root = await oneOff(
      'ct-seed',
      "const s = require('fs').statSync('/v'); require('fs').writeFileSync('/v/w', 'w'); console.log(s.uid, s.gid)",
      onData,
    );
    expect(root).toEqual({ exitCode: 0, output: '101 101\n' });

    const spare = c.name('ct-spare');
    await rt().ensureVolume(spare, c.labels);
    expect(await rt().volumeExists(spare)).toBe(true);
    // Listed by its labels with its node (none on a single engine), beside the contract's volume.
    const listed = await rt().listVolumes(c.labels);
    expect(listed.filter((v) => v.name === spare)).toEqual([
      { name: spare, nodeId: await rt().volumeNode(spare), labels: expect.objectContaining(c.labels) },
    ]);
    expect(listed.map((v) => v.name)).toContain(data);
    expect(await rt().listVolumes({ ...c.labels, 'saas.test-unused': 'none' })).toEqual([]);
    await rt().removeVolume(spare);
    await rt().removeVolume(spare);
    expect(await rt().volumeExists(spare)).toBe(false);
    expect((await rt().listVolumes(c.labels)).map((v) => v.name)).not.toContain(spare);
  });

  it('copyBetweenVolumes: keeps owners, modes and links, creates parents, replaces an earlier copy', async () => {
    const fill = await oneOff(
      'ct-fill',
      `const fs = require('fs');
       fs.mkdirSync('/v/filestore/db1/ab', { recursive: true });
       fs.writeFileSync('/v/filestore/db1/ab/file.bin', 'content-1', { mode: 0o640 });
       fs.chmodSync('/v/filestore/db1/ab', 0o750);
       fs.symlinkSync('ab/file.bin', '/v/filestore/db1/link');
       fs.writeFileSync('/v/filestore/db1/top.txt', 'top');`,
      onData,
    );
    expect(fill).toMatchObject({ exitCode: 0 });
    const original = await list('/v/filestore/db1');
    expect(original).toEqual([
      '. 101 101 755 dir',
      './ab 101 101 750 dir',
      './ab/file.bin 101 101 640 content-1',
      './link 101 101 777 ->ab/file.bin',
      './top.txt 101 101 644 top',
    ]);

    await rt().copyBetweenVolumes({ volume: data, path: 'filestore/db1' }, { volume: data, path: '/copies/deep/db2' }, c.image);
    // The missing parents were made, owned like the copy.
    expect(await list('/v/copies')).toEqual([
      '. 101 101 755 dir',
      './deep 101 101 755 dir',
      ...original.map((line) => line.replace(/^\./, './deep/db2')),
    ]);
    // A stale file in the destination goes with the next copy.
    expect(await oneOff('ct-stale', "require('fs').writeFileSync('/v/copies/deep/db2/stale.txt', 'old')", onData)).toMatchObject({
      exitCode: 0,
    });
    await rt().copyBetweenVolumes({ volume: data, path: 'filestore/db1' }, { volume: data, path: 'copies/deep/db2' }, c.image);
    expect(await list('/v/copies/deep/db2')).toEqual(original);

    await expect(rt().copyBetweenVolumes({ volume: data, path: 'nope' }, { volume: data, path: 'x' }, c.image)).rejects.toMatchObject({
      name: 'RuntimeError',
      details: { statusCode: 404 },
    });
    await expect(
      rt().copyBetweenVolumes({ volume: data, path: 'filestore' }, { volume: data, path: 'filestore/db1/x' }, c.image),
    ).rejects.toThrow(/overlap/);
    await expect(rt().copyBetweenVolumes({ volume: data, path: '../etc' }, { volume: data, path: 'x' }, c.image)).rejects.toThrow(/inside/);
  });

  it('importVolumeDir / exportVolumeDir: a round trip owned by the volume root, replacing the tree', async () => {
    const src = await tempDir();
    await mkdir(join(src, 'a/b/c'), { recursive: true });
    await writeFile(join(src, 'a/b/c/deep.txt'), 'deep');
    await writeFile(join(src, 'a/stale.txt'), 'stale');
    await writeFile(join(src, 'big.bin'), randomBytes(MiB));
    await mkdir(join(src, 'empty'));

    expect(await rt().importVolumeDir(data, 'stage/restore/data', src, c.image)).toEqual({ files: 3, bytes: MiB + 9 });
    const owners = await oneOff(
      'ct-owners',
      "const fs = require('fs'); console.log(['stage', 'stage/restore/data/a/b/c/deep.txt', 'stage/restore/data/big.bin'].map((p) => { const s = fs.lstatSync('/v/' + p); return s.uid + ':' + s.gid; }).join(' '))",
      onData,
    );
    expect(owners.output.trim()).toBe('101:101 101:101 101:101');

    const dest = join(await tempDir(), 'not-yet-there');
    expect(await rt().exportVolumeDir(data, 'stage/restore/data', dest, c.image)).toEqual({
      found: true,
      files: 3,
      bytes: MiB + 9,
      skipped: [],
    });
    expect(await checksums(dest)).toEqual(await checksums(src));
    expect((await readdir(dest)).sort()).toEqual(['a', 'big.bin', 'empty']);

    // A second import replaces the tree entirely.
    await rm(join(src, 'a/stale.txt'));
    await writeFile(join(src, 'big.bin'), 'small now');
    await rt().importVolumeDir(data, 'stage/restore/data', src, c.image);
    const again = await tempDir();
    expect(await rt().exportVolumeDir(data, 'stage/restore/data', again, c.image)).toMatchObject({ files: 2, bytes: 13 });
    expect(await checksums(again)).toEqual(await checksums(src));

    // A missing directory: found false, the destination left empty; a destination with something in it is refused.
    const empty = await tempDir();
    expect(await rt().exportVolumeDir(data, 'nothing/here', empty, c.image)).toEqual({ found: false, files: 0, bytes: 0, skipped: [] });
    expect(await readdir(empty)).toEqual([]);
    await expect(rt().exportVolumeDir(data, 'stage/restore/data', again, c.image)).rejects.toThrow(/not empty/);
  });

  it('exportVolumeDir skips links and unsafe names; importVolumeDir refuses links and paths out of the volume', async () => {
    // Planted from inside, as a tenant's code could in its own volume.
    const plant = await oneOff(
      'ct-plant',
      `const fs = require('fs'); fs.mkdirSync('/v/odd/dir with space', { recursive: true });
       fs.writeFileSync('/v/odd/ok.txt', 'fine'); fs.symlinkSync('/etc/passwd', '/v/odd/link');
       fs.linkSync('/v/odd/ok.txt', '/v/odd/hard'); fs.writeFileSync('/v/odd/.hidden', 'odd name');
       fs.writeFileSync('/v/odd/dir with space/inner.txt', 'inside');`,
      onData,
    );
    expect(plant).toMatchObject({ exitCode: 0 });
    const dest = await tempDir();
    const result = await rt().exportVolumeDir(data, 'odd', dest, c.image);
    expect(result.files).toBe(1);
    // Of two hard-linked names, whichever the engine archives first is the file, the other a link.
    const kept = (await readdir(dest))[0] ?? '';
    expect(['ok.txt', 'hard']).toContain(kept);
    expect(await readFile(join(dest, kept), 'utf8')).toBe('fine');
    const linked = kept === 'ok.txt' ? 'hard' : 'ok.txt';
    expect(result.skipped.sort()).toEqual(['.hidden', 'dir with space', 'dir with space/inner.txt', linked, 'link'].sort());

    const src = await tempDir();
    await writeFile(join(src, 'ok.txt'), 'ok');
    await symlink('/etc/passwd', join(src, 'link'));
    await expect(rt().importVolumeDir(data, 'linked', src, c.image)).rejects.toThrow(/not a regular file/);
    await expect(rt().importVolumeDir(data, '../escape', await tempDir(), c.image)).rejects.toBeInstanceOf(RuntimeError);
    await expect(rt().importVolumeDir(data, '/', await tempDir(), c.image)).rejects.toBeInstanceOf(RuntimeError);
  });
}
