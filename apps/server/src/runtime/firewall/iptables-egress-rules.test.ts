import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EgressScope, egressScopeFor, hostNameservers } from '../egress-policy.js';
import { egressChains, egressJumps, egressRules } from './iptables-egress-rules.js';

const scope: EgressScope = { name: 'saas', pool: '10.213.0.0/16', hostPorts: [5432, 80, 443], exceptions: [] };

describe('egress rules', () => {
  it('refuse private, link-local and reserved ranges after letting replies, the pool and exceptions through', () => {
    const { forward, input } = egressRules({ ...scope, exceptions: [{ address: '10.0.0.2', port: 53, protocol: 'udp' }] });
    const lines = forward.map((r) => r.join(' '));
    expect(lines[0]).toBe('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
    expect(lines[1]).toBe('-d 10.213.0.0/16 -j RETURN');
    expect(lines[2]).toBe('-d 10.0.0.2/32 -p udp -m udp --dport 53 -j RETURN');
    expect(lines).toContain('-d 169.254.0.0/16 -j REJECT --reject-with icmp-admin-prohibited');
    expect(lines.at(-1)).toBe('-d 240.0.0.0/4 -j REJECT --reject-with icmp-admin-prohibited');
    // The host: only the listed ports, everything else refused.
    const hostLines = input.map((r) => r.join(' '));
    expect(hostLines).toContain('-p tcp -m tcp --dport 5432 -j RETURN');
    expect(hostLines.at(-1)).toBe('-j REJECT --reject-with icmp-admin-prohibited');
    expect(hostLines.some((l) => l.includes('6379') || l.includes('3000'))).toBe(false);
  });

  it('hook only the pool into DOCKER-USER and INPUT', () => {
    expect(egressJumps(scope)).toEqual([
      { parent: 'DOCKER-USER', rule: ['-s', '10.213.0.0/16', '-j', 'saas-egress-fwd'] },
      { parent: 'INPUT', rule: ['-s', '10.213.0.0/16', '-j', 'saas-egress-in'] },
    ]);
  });

  it('refuse input that could smuggle words into the iptables batch', () => {
    expect(() => egressChains('saas -j ACCEPT')).toThrow(/bad egress scope name/);
    expect(() => egressChains('a'.repeat(17))).toThrow(/bad egress scope name/);
    expect(() => egressRules({ ...scope, pool: '0.0.0.0/0\n-A INPUT -j ACCEPT' })).toThrow(/bad egress pool/);
    expect(() => egressRules({ ...scope, hostPorts: [0] })).toThrow(/bad host port/);
    expect(() => egressRules({ ...scope, exceptions: [{ address: '1.2.3.4 -j ACCEPT', port: 53, protocol: 'udp' }] })).toThrow(
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
