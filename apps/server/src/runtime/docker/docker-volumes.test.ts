import Docker from 'dockerode';
import { describe, expect, it, vi } from 'vitest';
import { docker, IMAGE, n, oneOff, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { VOLUME_USAGE_MAX_AGE_MS } from './docker-volumes.js';

// Against the real engine with the Odoo stand-in image (test/support/docker-runtime.ts). Ensure/exists/remove and
// copies within a volume are the contract's (docker-runtime.contract.test.ts); here usage and a copy between two volumes.
useTestRun();

describe('volumes', () => {
  it('waits for another process’s disk-usage walk instead of failing', async () => {
    const client = new Docker();
    const df = client.df.bind(client);
    let calls = 0;
    // The engine's answer while another df runs, once; then the real df.
    client.df = ((...args: Parameters<typeof df>) =>
      calls++ === 0
        ? Promise.reject(new Error('(HTTP code 500) unexpected - a disk usage operation is already running'))
        : df(...args)) as typeof client.df;
    const runtime = new DockerRuntime(client);
    const name = n('vol-busy');
    await runtime.ensureVolume(name, RUN_LABEL);
    try {
      const usage = await runtime.volumeUsage(name);
      expect(usage === null || usage >= 0).toBe(true);
      expect(calls).toBe(2);
    } finally {
      await runtime.removeVolume(name);
    }
  });

  it('answers usage from one shared `df` per minute, however many callers ask at once', async () => {
    // A runtime of the test's own over a real engine client whose df calls are counted.
    const client = new Docker();
    const df = client.df.bind(client);
    let dfCalls = 0;
    // Answers counted: a call the engine refused because another process's df was running is retried, not shared.
    client.df = ((...args: Parameters<typeof df>) =>
      (df(...args) as Promise<unknown>).then((answer) => {
        dfCalls++;
        return answer;
      })) as typeof client.df;
    const counted = new DockerRuntime(client);
    const [a, b] = [n('vol-usage-a'), n('vol-usage-b')];
    for (const name of [a, b]) await counted.ensureVolume(name, RUN_LABEL);
    // Mounted on the image's /var/lib/odoo, so the volume root is copied up owned by uid 101, the writer.
    const write = await oneOff('fill-usage', "require('fs').writeFileSync('/var/lib/odoo/blob', Buffer.alloc(100000, 1))", [
      { volume: a, target: '/var/lib/odoo' },
    ]);
    expect(write).toMatchObject({ exitCode: 0 });

    const sizes = await Promise.all(Array.from({ length: 20 }, (_, i) => counted.volumeUsage(i % 2 ? b : a)));
    expect(dfCalls).toBe(1);
    expect(sizes[0]).toBeGreaterThanOrEqual(100_000);
    expect(await counted.volumeUsage(a)).toBe(sizes[0]);
    expect(dfCalls).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + VOLUME_USAGE_MAX_AGE_MS + 1000 });
    try {
      await Promise.all([counted.volumeUsage(a), counted.volumeUsage(b)]);
      expect(dfCalls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('copyBetweenVolumes', () => {
  const LIST = `
    const fs = require('fs'), path = require('path');
    const root = process.argv[1];
    const walk = (p) => { const s = fs.lstatSync(p); const rel = path.relative(root, p); const line = [rel ? './' + rel : '.', s.uid, s.gid, (s.mode & 0o7777).toString(8),
      s.isSymbolicLink() ? '->' + fs.readlinkSync(p) : s.isFile() ? fs.readFileSync(p, 'utf8') : 'dir'].join(' ');
      console.log(line); if (s.isDirectory()) for (const c of fs.readdirSync(p).sort()) walk(path.join(p, c)); };
    walk(root);`;
  const list = async (volume: string, dir: string) => {
    const result = await runtime.runOneOff(
      {
        name: n('list'),
        image: IMAGE,
        entrypoint: ['node'],
        command: ['-e', LIST, dir],
        env: {},
        labels: RUN_LABEL,
        network: n('net'),
        mounts: [{ volume, target: '/v', readOnly: true }],
        files: [],
        limits: { memoryMb: 64, cpuMillis: 500, pids: 32 },
        user: '101:101',
        extraHosts: [],
      },
      20_000,
    );
    expect(result.exitCode).toBe(0);
    return result.output.trim().split('\n');
  };

  it('copies a tree with owners, modes and links into another volume, leaving no helper container', async () => {
    const [a, b] = [n('vol-src'), n('vol-dst')];
    await runtime.ensureVolume(a, RUN_LABEL);
    await runtime.ensureVolume(b, RUN_LABEL);
    // Filled as uid 101 (the volume root is the image's /var/lib/odoo, owned by 101, copied up on first mount).
    const fill = await oneOff(
      'fill',
      `const fs = require('fs');
       fs.mkdirSync('/var/lib/odoo/filestore/db1/ab', { recursive: true });
       fs.writeFileSync('/var/lib/odoo/filestore/db1/ab/file.bin', 'content-1', { mode: 0o640 });
       fs.chmodSync('/var/lib/odoo/filestore/db1/ab', 0o750);
       fs.symlinkSync('ab/file.bin', '/var/lib/odoo/filestore/db1/link');
       fs.writeFileSync('/var/lib/odoo/filestore/db1/top.txt', 'top');`,
      [{ volume: a, target: '/var/lib/odoo' }],
    );
    expect(fill).toMatchObject({ exitCode: 0 });
    const original = await list(a, '/v/filestore/db1');

    await runtime.copyBetweenVolumes({ volume: a, path: 'filestore/db1' }, { volume: b, path: '/filestore/db2' }, IMAGE);
    const copied = await list(b, '/v/filestore/db2');
    expect(copied).toEqual(original);
    expect(copied).toEqual([
      '. 101 101 755 dir',
      './ab 101 101 750 dir',
      './ab/file.bin 101 101 640 content-1',
      './link 101 101 777 ->ab/file.bin',
      './top.txt 101 101 644 top',
    ]);
    // The helper containers are gone.
    expect(await docker.listContainers({ all: true, filters: { volume: [a] } })).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { volume: [b] } })).toEqual([]);
  });
});
