import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, IMAGE, n, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';

// Against the real engine with the Odoo stand-in image (test/support/docker-runtime.ts). The round trip and the
// rules for links and unsafe names are the contract's (docker-runtime.contract.test.ts); here what a tenant could
// plant through the engine's archive API (fifos, devices), which a container of the stand-in cannot make.
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

/** A volume seeded like an instance's: its root belongs to the image's uid 101. */
async function odooVolume(suffix: string) {
  const name = n(suffix);
  await runtime.ensureVolume(name, RUN_LABEL, { image: IMAGE, path: '/var/lib/odoo' });
  return name;
}

describe('exportVolumeDir', () => {
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
});
