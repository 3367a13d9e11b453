import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ContainerInfo,
  type ContainerSpec,
  type InstanceRuntime,
  type Labels,
  RuntimeError,
  type VolumeMount,
} from '../../src/runtime/instance-runtime.js';

/**
 * The promises of `InstanceRuntime` (src/runtime/instance-runtime.ts), in the domain's words, for every driver:
 * `src/runtime/docker/docker-runtime.contract.test.ts` runs them against one Docker engine,
 * `test/swarm/swarm-runtime-contract.swarm.test.ts` against the Swarm driver on the lab. Where a driver deliberately
 * differs (src/runtime/swarm/DESIGN.md), the difference is a fact the driver's file states, not a skipped test.
 * What only one driver has (hardening flags, placement, secrets, overlays kept apart) stays in that driver's tests.
 */
export interface InstanceRuntimeContract {
  driver: string;
  /** The runtime under test; called once the file's own hooks ran (the Swarm lab is up by then). */
  runtime: () => InstanceRuntime;
  /** An image of the Odoo stand-in (test/fixtures/odoo-standin: node, no shell, uid 101) every node has. */
  image: string;
  /** A name of this run's: a DNS label, as Swarm's service names must be. */
  name: (suffix: string) => string;
  /** Put on everything the contract creates, so the driver's file can find what a failed run left. */
  labels: Labels;
  /** A subnet to try for a network; another one is drawn when the engine says it overlaps one in use. */
  subnet: () => string;
  /** A host port to publish on, free where instances answer. */
  hostPort: () => Promise<number>;
  /** Where a published port of this running container answers, seen from the tests' host. */
  addressOf: (info: ContainerInfo) => Promise<string>;
  /** An address the tests' host reaches where the container's published port must not answer. */
  notPublishedOn: (info: ContainerInfo) => Promise<string>;
  /** Where the drivers deliberately differ (src/runtime/swarm/DESIGN.md). */
  differences: {
    /**
     * How `updateLimits` applies new limits: `in-place` keeps the container (Docker: `docker update`, as for
     * `ensureContainer` with only the limits changed); `new-container` restarts it as a new one (Swarm: a new task).
     */
    limitsChange: 'in-place' | 'new-container';
    /** What `startContainer` after a stop and `restartContainer` run: the same container (Docker) or a new one (Swarm: a new task). */
    restartedContainer: 'same' | 'new';
  };
}

const NODE = '/usr/local/bin/node';
const CONF = '[options]\nadmin_passwd = contract\n';
// The stand-in has node but no shell: a listener that answers with the file written into the container.
const LISTENER = `const fs = require('fs'); console.log('listening as ' + process.env.INSTANCE);
  require('http').createServer((q, s) => s.end(fs.readFileSync('/etc/app/app.conf', 'utf8'))).listen(8080);
  process.on('SIGTERM', () => process.exit(0));`;
// Lists a tree: relative name, owner, mode, and content, link target or "dir".
const LIST = `const fs = require('fs'), path = require('path'); const root = process.argv[1];
  const walk = (p) => { const s = fs.lstatSync(p); const rel = path.relative(root, p);
    console.log([rel ? './' + rel : '.', s.uid, s.gid, (s.mode & 0o7777).toString(8),
      s.isSymbolicLink() ? '->' + fs.readlinkSync(p) : s.isFile() ? fs.readFileSync(p, 'utf8') : 'dir'].join(' '));
    if (s.isDirectory()) for (const c of fs.readdirSync(p).sort()) walk(path.join(p, c)); };
  walk(root);`;
const MiB = 2 ** 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
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

/** What `http://address:port/` answers, once the process listens (bounded). */
async function answer(address: string, port: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://${address}:${port}/`, { signal: AbortSignal.timeout(2_000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

export function instanceRuntimeContract(c: InstanceRuntimeContract): void {
  describe(`InstanceRuntime contract: ${c.driver}`, () => {
    const rt = () => c.runtime();
    const net = c.name('ct-net');
    const data = c.name('ct-data');
    const app = c.name('ct-app');
    const scratch: string[] = [];
    let spec: ContainerSpec;
    let current: ContainerInfo;

    const tempDir = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'runtime-contract-'));
      scratch.push(dir);
      return dir;
    };

    /** Runs `node -e script` in a one-off container of the stand-in image on the contract's network. */
    const oneOff = (suffix: string, script: string, mounts: VolumeMount[] = [], timeoutMs = 30_000, args: string[] = []) =>
      rt().runOneOff(
        {
          name: c.name(suffix),
          image: c.image,
          entrypoint: [NODE],
          command: ['-e', script, ...args],
          env: {},
          labels: c.labels,
          network: net,
          mounts,
          files: [],
          limits: { memoryMb: 128, cpuMillis: 500, pids: 64 },
          user: '101:101',
          extraHosts: [],
        },
        timeoutMs,
      );
    const onData: VolumeMount[] = [{ volume: data, target: '/v' }];
    const list = async (dir: string) => {
      const result = await oneOff('ct-list', LIST, onData, 30_000, [dir]);
      expect(result.exitCode).toBe(0);
      return result.output.trim().split('\n');
    };
    const inApp = (script: string) => rt().exec(app, [NODE, '-e', script]);
    const info = async () => {
      const found = await rt().inspectContainer(app);
      if (!found) throw new Error(`${app} is not there`);
      return found;
    };

    async function ensureFreshNetwork(name: string): Promise<string> {
      for (let attempt = 0; ; attempt++) {
        const subnet = c.subnet();
        try {
          await rt().ensureNetwork({ name, subnet, labels: c.labels });
          return subnet;
        } catch (err) {
          if (attempt >= 20 || !(err instanceof RuntimeError) || !/overlap/i.test(err.message)) throw err;
        }
      }
    }

    beforeAll(async () => {
      spec = {
        name: app,
        image: c.image,
        entrypoint: [NODE],
        command: ['-e', LISTENER],
        env: { INSTANCE: 'contract' },
        labels: { ...c.labels, 'saas.contract': 'app' },
        network: net,
        mounts: [{ volume: data, target: '/var/lib/odoo' }],
        files: [{ path: '/etc/app/app.conf', content: CONF, mode: 0o440, uid: 101, gid: 101 }],
        limits: { memoryMb: 256, cpuMillis: 250, pids: 100 },
        user: '101:101',
        publish: [{ containerPort: 8080, hostPort: await c.hostPort() }],
        extraHosts: ['contract-db:198.51.100.10'],
        restart: 'unless-stopped',
        readOnlyRootfs: true,
        tmpfs: [{ target: '/tmp', sizeMb: 16 }],
      };
    });

    afterAll(async () => {
      await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
      // What a failed test left; a passing run removed it all already. No runtime: the driver's setup failed.
      let runtime: InstanceRuntime;
      try {
        runtime = rt();
      } catch {
        return;
      }
      const quietly = (call: Promise<void>) => call.catch(() => undefined);
      await quietly(runtime.removeContainer(app));
      for (const volume of [data, c.name('ct-spare')]) await quietly(runtime.removeVolume(volume));
      for (const network of [net, c.name('ct-net-b')]) await quietly(runtime.removeNetwork(network));
    }, 60_000);

    it('answers, lists its nodes, and has the image (a missing one is a 404 without pull)', async () => {
      await rt().ping();
      const nodes = await rt().listNodes();
      expect(nodes.length).toBeGreaterThan(0);
      for (const node of nodes) {
        expect(node).toMatchObject({ state: 'ready', availability: 'active' });
        expect(node.capacity.memoryMb > 0 && node.capacity.cpuMillis >= 1000).toBe(true);
      }
      expect(await rt().ensureImage(c.image, { pull: false })).toBe('present');
      await expect(rt().ensureImage('saas-no-such-image:0', { pull: false })).rejects.toMatchObject({
        name: 'RuntimeError',
        details: { statusCode: 404 },
      });
    });

    it('networks: ensured once per name and subnet, listed by label, removed (twice)', async () => {
      const subnet = await ensureFreshNetwork(net);
      await rt().ensureNetwork({ name: net, subnet, labels: c.labels });
      const other = subnet === '10.250.255.240/28' ? '10.250.255.224/28' : '10.250.255.240/28';
      await expect(rt().ensureNetwork({ name: net, subnet: other, labels: c.labels })).rejects.toMatchObject({
        name: 'RuntimeError',
        details: { statusCode: 409 },
      });

      const second = c.name('ct-net-b');
      const secondSubnet = await ensureFreshNetwork(second);
      const listed = await rt().listNetworks(c.labels);
      expect(listed.filter((x) => x.name === net || x.name === second).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        [
          { name: net, subnet, labels: expect.objectContaining(c.labels) },
          { name: second, subnet: secondSubnet, labels: expect.objectContaining(c.labels) },
        ].sort((a, b) => a.name.localeCompare(b.name)),
      );
      await rt().removeNetwork(second);
      await rt().removeNetwork(second);
      expect((await rt().listNetworks(c.labels)).map((x) => x.name)).toEqual([net]);
    });

    it('volumes: ensured once, seeded with the image directory and its owner, removed (twice)', async () => {
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
      await rt().removeVolume(spare);
      await rt().removeVolume(spare);
      expect(await rt().volumeExists(spare)).toBe(false);
    });

    it('runOneOff: returns the exit code and output; a timeout kills it and throws', async () => {
      const result = await oneOff('ct-once', "console.log('to stdout'); console.error('to stderr'); process.exit(7)");
      expect(result.exitCode).toBe(7);
      expect(result.output).toMatch(/to stdout/);
      expect(result.output).toMatch(/to stderr/);

      const started = Date.now();
      await expect(oneOff('ct-slow', "console.log('sleeping'); setTimeout(() => {}, 60000)", [], 1500)).rejects.toThrow(
        /did not finish within 1500 ms/,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      // The name is free again: the killed container went with the run.
      expect(await oneOff('ct-slow', "console.log('again')")).toEqual({ exitCode: 0, output: 'again\n' });
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
      await expect(rt().copyBetweenVolumes({ volume: data, path: '../etc' }, { volume: data, path: 'x' }, c.image)).rejects.toThrow(
        /inside/,
      );
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

    it('ensureContainer: runs it with its files, a read-only image, and the published port answering where it is published', async () => {
      current = await rt().ensureContainer(spec);
      expect(current).toMatchObject({ name: app, state: 'running', exitCode: null, restartCount: 0 });
      expect(current.specHash).toBeTruthy();
      expect(current.labels).toMatchObject(spec.labels);
      expect(Date.parse(current.startedAt ?? '')).toBeGreaterThan(0);
      expect(Date.parse(current.createdAt ?? '')).toBeGreaterThan(0);

      const port = spec.publish[0]?.hostPort ?? 0;
      expect(await answer(await c.addressOf(current), port)).toBe(CONF);
      await expect(answer(await c.notPublishedOn(current), port, 0)).rejects.toThrow();

      const stat = await inApp(
        "const s = require('fs').statSync('/etc/app/app.conf'); console.log(s.uid, s.gid, (s.mode & 0o777).toString(8))",
      );
      expect(stat).toEqual({ exitCode: 0, output: '101 101 440\n' });
      // The image is read-only; the volume and the tmpfs are writable, and the files' directory is not read-only (its
      // owner may be root, as on Docker).
      const writes = await inApp(`const fs = require('fs');
        console.log(['/opt/probe', '/var/lib/odoo/probe', '/tmp/probe', '/etc/app/probe'].map((p) => {
          try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } }).join(' '))`);
      expect(writes.output.trim()).toMatch(/^EROFS ok ok (ok|EACCES)$/);
      const hosts = await inApp("console.log(require('fs').readFileSync('/etc/hosts', 'utf8'))");
      expect(hosts.output).toMatch(/^198\.51\.100\.10\s+contract-db$/m);
    });

    it('inspectContainer and listManagedContainers find it by its labels', async () => {
      expect(await info()).toMatchObject({ id: current.id, name: app, state: 'running', specHash: current.specHash });
      const listed = await rt().listManagedContainers({ ...c.labels, 'saas.contract': 'app' });
      expect(listed.map((x) => [x.name, x.id, x.state])).toEqual([[app, current.id, 'running']]);
      expect(await rt().listManagedContainers({ ...c.labels, 'saas.contract': 'none' })).toEqual([]);
      expect(await rt().inspectContainer(c.name('ct-never'))).toBeNull();
    });

    it('ensureContainer: the same spec keeps the container, a changed one (limits and file) replaces it', async () => {
      const same = await rt().ensureContainer(spec);
      expect([same.id, same.startedAt, same.specHash]).toEqual([current.id, current.startedAt, current.specHash]);

      // Limits alone are applied as updateLimits applies them (tested below); with the file changed too, a new container.
      const conf = `${CONF}; second edition\n`;
      const file = { ...(spec.files[0] as ContainerSpec['files'][0]), content: conf };
      spec = { ...spec, limits: { memoryMb: 320, cpuMillis: 300, pids: 120 }, files: [file] };
      const replaced = await rt().ensureContainer(spec);
      expect(replaced).toMatchObject({ name: app, state: 'running', restartCount: 0 });
      expect(replaced.id).not.toBe(current.id);
      expect(replaced.specHash).not.toBe(current.specHash);
      expect(await answer(await c.addressOf(replaced), spec.publish[0]?.hostPort ?? 0)).toBe(conf);
      expect((await rt().stats(app))?.memoryLimitBytes).toBe(320 * MiB);
      current = replaced;
    });

    it('logs, stats, usage and exec of the running container', async () => {
      let text = '';
      for (let i = 0; i < 50 && !text.includes('listening as contract'); i++) {
        text = (await (await rt().logs(app, { tail: 100, follow: false })).toArray()).join('');
        if (!text.includes('listening as contract')) await sleep(200);
      }
      expect(text).toMatch(/^listening as contract$/m);
      const follow = await rt().logs(app, { tail: 10, follow: true });
      const first = await new Promise<Buffer>((resolve, reject) => {
        follow.once('data', resolve);
        follow.once('error', reject);
      });
      follow.destroy();
      expect(first.toString()).toMatch(/listening as contract/);

      const stats = await rt().stats(app);
      expect(stats?.memoryBytes).toBeGreaterThan(0);
      expect(stats?.memoryLimitBytes).toBe(320 * MiB);
      expect(stats?.cpuPercent).toBeGreaterThanOrEqual(0);
      const usage = await rt().usage(app);
      expect(usage?.memoryBytes).toBeGreaterThan(0);
      expect(usage?.memoryLimitBytes).toBe(320 * MiB);
      expect(usage?.cpuSeconds).toBeGreaterThan(0);

      expect(await inApp("console.log('from exec', process.getuid()); process.exit(3)")).toEqual({
        exitCode: 3,
        output: 'from exec 101\n',
      });
      expect((await rt().exec(app, ['/no/such/binary'])).exitCode).not.toBe(0);
    });

    it('stops, starts and restarts (repeats are no-ops), and applies new limits', async () => {
      await rt().stopContainer(app, 5);
      await rt().stopContainer(app, 5);
      expect(await info()).toMatchObject({ state: 'exited', specHash: current.specHash });
      expect(await rt().stats(app)).toBeNull();
      expect(await rt().usage(app)).toBeNull();
      await expect(inApp('0')).rejects.toMatchObject({ name: 'RuntimeError', details: { statusCode: 409 } });
      await expect(answer(await c.addressOf(current), spec.publish[0]?.hostPort ?? 0, 0)).rejects.toThrow();

      await rt().startContainer(app);
      await rt().startContainer(app);
      const started = await info();
      expect(started).toMatchObject({ state: 'running', specHash: current.specHash });
      if (c.differences.restartedContainer === 'same') expect(started.id).toBe(current.id);
      else expect(started.id).not.toBe(current.id);
      // Up first: a process still starting has no SIGTERM handler yet, and the engine would wait out the timeout.
      expect(await answer(await c.addressOf(started), spec.publish[0]?.hostPort ?? 0)).toMatch(/second edition/);

      await rt().restartContainer(app);
      const restarted = await info();
      expect(restarted).toMatchObject({ state: 'running', specHash: current.specHash, restartCount: 0 });
      if (c.differences.restartedContainer === 'same') expect(restarted.id).toBe(started.id);
      else expect(restarted.id).not.toBe(started.id);
      expect(await answer(await c.addressOf(restarted), spec.publish[0]?.hostPort ?? 0)).toMatch(/second edition/);

      await rt().updateLimits(app, { memoryMb: 200, cpuMillis: 250, pids: 90 });
      const updated = await info();
      expect(updated.state).toBe('running');
      if (c.differences.limitsChange === 'in-place') expect(updated.id).toBe(restarted.id);
      else expect(updated.id).not.toBe(restarted.id);
      expect((await rt().stats(app))?.memoryLimitBytes).toBe(200 * MiB);
      current = updated;
    });

    it('throws a RuntimeError for what is not there', async () => {
      const missing = c.name('ct-missing');
      const notFound = { name: 'RuntimeError', details: { statusCode: 404 } };
      await expect(rt().startContainer(missing)).rejects.toMatchObject(notFound);
      await expect(rt().restartContainer(missing)).rejects.toMatchObject(notFound);
      await expect(rt().updateLimits(missing, spec.limits)).rejects.toMatchObject(notFound);
      await expect(rt().logs(missing, { tail: 10, follow: false })).rejects.toMatchObject(notFound);
      await expect(rt().exec(missing, [NODE, '-e', '0'])).rejects.toMatchObject(notFound);
      const absent = c.name('ct-never');
      await expect(rt().exportVolumeDir(absent, 'x', await tempDir(), c.image)).rejects.toMatchObject(notFound);
      await expect(rt().importVolumeDir(absent, 'x', await tempDir(), c.image)).rejects.toMatchObject(notFound);
      await expect(rt().copyBetweenVolumes({ volume: absent, path: 'x' }, { volume: data, path: 'y' }, c.image)).rejects.toMatchObject(
        notFound,
      );
      // Nothing was made for them.
      expect(await rt().volumeExists(absent)).toBe(false);
      expect(await rt().stats(missing)).toBeNull();
      expect(await rt().usage(missing)).toBeNull();
    });

    it('removeContainer leaves nothing (twice), and the volume and network then go', async () => {
      await rt().removeContainer(app);
      await rt().removeContainer(app);
      await rt().stopContainer(app);
      expect(await rt().inspectContainer(app)).toBeNull();
      expect(await rt().listManagedContainers(c.labels)).toEqual([]);
      await expect(answer(await c.addressOf(current), spec.publish[0]?.hostPort ?? 0, 0)).rejects.toThrow();

      await rt().removeVolume(data);
      expect(await rt().volumeExists(data)).toBe(false);
      await rt().removeNetwork(net);
      expect(await rt().listNetworks(c.labels)).toEqual([]);
    });
  });
}
