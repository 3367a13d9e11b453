import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../instance-runtime.js';
import { createOptions, specHash, validateSpec } from './docker-spec.js';

describe('specHash', () => {
  const base: ContainerSpec = {
    name: 'x',
    image: 'i',
    command: ['odoo'],
    env: { A: '1', B: '2' },
    labels: { l: 'v' },
    network: 'n',
    mounts: [],
    files: [{ path: '/etc/odoo/odoo.conf', content: 'a', mode: 0o640, uid: 101, gid: 101 }],
    limits: { memoryMb: 512, cpuMillis: 1000, pids: 256 },
    user: '101:101',
    publish: [],
    extraHosts: [],
    restart: 'unless-stopped',
  };
  it('ignores key order and limits, follows content, files and the image id', () => {
    const hash = specHash(base, 'sha256:1');
    expect(specHash({ ...base, env: { B: '2', A: '1' }, limits: { memoryMb: 1024, cpuMillis: 1, pids: 1 } }, 'sha256:1')).toBe(hash);
    expect(specHash(base, 'sha256:2')).not.toBe(hash);
    expect(specHash({ ...base, files: [{ ...base.files[0], content: 'b' } as ContainerSpec['files'][number]] }, 'sha256:1')).not.toBe(hash);
    expect(specHash({ ...base, env: { A: '1', B: '3' } }, 'sha256:1')).not.toBe(hash);
  });
});

describe('createOptions with a read-only root', () => {
  const spec: Omit<ContainerSpec, 'restart' | 'publish'> = {
    name: 'x',
    image: 'i',
    command: [],
    env: {},
    labels: {},
    network: 'n',
    mounts: [{ volume: 'data', target: '/var/lib/odoo' }],
    files: [
      { path: '/etc/odoo/odoo.conf', content: 'a', mode: 0o600, uid: 101, gid: 101 },
      { path: '/var/lib/odoo/seed', content: 'b', mode: 0o600, uid: 101, gid: 101 },
    ],
    limits: { memoryMb: 512, cpuMillis: 1000, pids: 256 },
    user: '101:101',
    extraHosts: [],
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', sizeMb: 64 }],
  };

  it('mounts the root read-only, a capped tmpfs, and a scratch volume for files outside any mount', () => {
    const host = createOptions(spec, {}).HostConfig;
    expect(host?.ReadonlyRootfs).toBe(true);
    expect(host?.Mounts).toEqual([
      { Type: 'volume', Source: 'data', Target: '/var/lib/odoo', ReadOnly: false },
      { Type: 'volume', Source: '', Target: '/etc/odoo', ReadOnly: false },
      { Type: 'tmpfs', Source: '', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
    ]);
  });

  it('keeps a writable root and no scratch volume unless asked', () => {
    const host = createOptions({ ...spec, readOnlyRootfs: undefined, tmpfs: undefined }, {}).HostConfig;
    expect(host?.ReadonlyRootfs).toBe(false);
    expect(host?.Mounts).toHaveLength(1);
  });

  it('refuses a tmpfs that is not an absolute path, has no size, or would hide a file', () => {
    expect(() => validateSpec({ ...spec, tmpfs: [{ target: 'tmp', sizeMb: 1 }] })).toThrow(/absolute/);
    expect(() => validateSpec({ ...spec, tmpfs: [{ target: '/tmp', sizeMb: 0 }] })).toThrow(/sizeMb/);
    expect(() => validateSpec({ ...spec, tmpfs: [{ target: '/etc', sizeMb: 1 }] })).toThrow(/under the tmpfs/);
    expect(() => validateSpec(spec)).not.toThrow();
  });
});
