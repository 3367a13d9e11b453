import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EgressScope, egressScopeFor, hostNameservers } from '../egress-policy.js';
import { egressRules, egressScript, egressTable } from './nft-egress-rules.js';

const scope: EgressScope = { name: 'saas', pool: '10.213.0.0/16', hostPorts: [5432, 80, 443], exceptions: [] };

describe('egress rules', () => {
  it('refuse other instance networks, private, link-local and reserved ranges after replies and exceptions', () => {
    const { chains } = egressRules({ ...scope, exceptions: [{ address: '10.0.0.2', port: 53, protocol: 'udp' }] });
    const { forward, input } = chains;
    expect(forward[0]).toMatch(/^ip saddr != 10\.213\.0\.0\/16 accept comment "egress policy [0-9a-f]{16}"$/);
    expect(forward.slice(1, 5)).toEqual([
      'ct state established,related accept',
      'ip daddr 10.213.0.0/16 fib daddr . iif oif missing reject with icmp type admin-prohibited comment "another instance network"',
      'ip daddr 10.213.0.0/16 accept',
      'ip daddr 10.0.0.2 udp dport 53 accept',
    ]);
    expect(forward.at(-1)).toBe(
      'ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/4, 240.0.0.0/4 } reject with icmp type admin-prohibited',
    );
    // The host: only the listed ports, everything else refused.
    expect(input).toContain('tcp dport { 5432, 80, 443 } accept');
    expect(input.at(-1)).toBe('reject with icmp type admin-prohibited');
    expect(input.some((l) => l.includes('6379') || l.includes('3000'))).toBe(false);
  });

  it('on a swarm node, take what comes in by docker_gwbridge and refuse every address of the pool', () => {
    const db = { ...scope, exceptions: [{ address: '10.0.0.2', port: 5432, protocol: 'tcp' as const }] };
    const node = egressRules({ ...db, bridge: 'docker_gwbridge' });
    const { forward, input } = node.chains;
    // A task leaves its overlay by docker_gwbridge with its own address there: the pool is never a source on the node.
    expect(forward[0]).toMatch(/^iifname != "docker_gwbridge" accept comment "egress policy [0-9a-f]{16}"$/);
    expect(input[0]).toBe(forward[0]);
    expect(forward.slice(1, 4)).toEqual([
      'ct state established,related accept',
      // Traffic inside an overlay never reaches the node's hooks: an address of the pool from the bridge is another instance's.
      'ip daddr 10.213.0.0/16 reject with icmp type admin-prohibited comment "another instance network"',
      'ip daddr 10.0.0.2 tcp dport 5432 accept',
    ]);
    expect(forward.some((l) => l.includes('fib') || l === 'ip daddr 10.213.0.0/16 accept')).toBe(false);
    expect(input.slice(1, 3)).toEqual(['ct state established,related accept', 'tcp dport { 5432, 80, 443 } accept']);
    expect(input.at(-1)).toBe('reject with icmp type admin-prohibited');
    // The one-host ruleset keeps its fingerprint; the node's is another.
    expect(node.fingerprint).not.toBe(egressRules(db).fingerprint);
    expect(() => egressRules({ ...scope, bridge: 'br0"; flush ruleset' })).toThrow(/bad egress bridge/);
  });

  it('name a different ruleset by a different fingerprint', () => {
    const a = egressRules(scope);
    expect(egressRules(scope).fingerprint).toBe(a.fingerprint);
    expect(egressRules({ ...scope, pool: '10.214.0.0/16' }).fingerprint).not.toBe(a.fingerprint);
    expect(egressRules({ ...scope, hostPorts: [5432] }).fingerprint).not.toBe(a.fingerprint);
  });

  it('replace the table whole in one script, with chains that run before the filter table', () => {
    const text = egressScript(egressRules(scope));
    expect(text.split('\n').slice(0, 3)).toEqual(['table ip saas_egress {}', 'delete table ip saas_egress', 'table ip saas_egress {']);
    expect(text).toContain('type filter hook forward priority -10; policy accept;');
    expect(text).toContain('type filter hook input priority -10; policy accept;');
  });

  it('refuse input that could smuggle words into the nft script', () => {
    expect(() => egressTable('saas; flush ruleset')).toThrow(/bad egress scope name/);
    expect(() => egressTable('a'.repeat(17))).toThrow(/bad egress scope name/);
    expect(() => egressRules({ ...scope, pool: '0.0.0.0/0\nflush ruleset' })).toThrow(/bad egress pool/);
    expect(() => egressRules({ ...scope, hostPorts: [0] })).toThrow(/bad host port/);
    expect(() => egressRules({ ...scope, exceptions: [{ address: '1.2.3.4 accept', port: 53, protocol: 'udp' }] })).toThrow(
      /bad egress exception/,
    );
  });
});

describe('egress scope', () => {
  it('takes the host resolvers (not loopback ones) and a remote PostgreSQL as the only private exceptions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'egress-'));
    const file = join(dir, 'resolv.conf');
    await writeFile(file, '# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.com\n');
    expect(await hostNameservers([file, join(dir, 'missing')])).toEqual(['10.0.0.2']);
    const input = { resourcePrefix: 'saas', instanceSubnetPool: '10.213.0.0/16', tenantDbPort: 5432, edgePorts: [80, 443] };
    const local = await egressScopeFor({ ...input, tenantDbHost: 'host.docker.internal' }, ['10.0.0.2']);
    expect(local).toEqual({
      name: 'saas',
      pool: '10.213.0.0/16',
      hostPorts: [5432, 80, 443],
      exceptions: [
        { address: '10.0.0.2', port: 53, protocol: 'udp' },
        { address: '10.0.0.2', port: 53, protocol: 'tcp' },
      ],
    });
    const remote = await egressScopeFor({ ...input, tenantDbHost: '10.1.2.3' }, []);
    expect(remote.exceptions).toEqual([{ address: '10.1.2.3', port: 5432, protocol: 'tcp' }]);
  });
});
