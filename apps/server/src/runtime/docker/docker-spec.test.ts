import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../instance-runtime.js';
import { specHash } from './docker-spec.js';

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
