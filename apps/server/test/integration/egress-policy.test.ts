import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/instances/instance-names.js';
import { startWorkers } from '../../src/jobs/workers.js';
import { createPlatform } from '../../src/platform.js';
import type { EgressPolicy } from '../../src/runtime/egress-policy.js';
import { createEgressPolicy } from '../../src/runtime/firewall/create-egress-policy.js';
import { testConfig } from '../test-env.js';

/**
 * The egress policy on a real nftables table and real containers. Every connection goes to a listener
 * this file starts: on the host, or in its own containers on networks that stand for a private
 * network, a link-local (metadata) address and "the internet" (198.18.0.0/15, a benchmarking range
 * that is not refused). Nothing leaves the machine, whether the rules work or not.
 */
const run = promisify(execFile);
// A pool of its own, apart from the other tests' (test/subnet-pools.env) and the local platform's.
const POOL = '10.216.0.0/24';
// "private" lies in the pool: another instance network as well as a private network.
const NETS = { instance: '10.216.0.0/28', private: '10.216.1.0/28', linkLocal: '169.254.250.0/28', internet: '198.18.250.0/28' };
const TARGETS = ['private', 'linkLocal', 'internet'] as const;
const IMAGE = 'odoo-standin:18.0';
const LISTEN_PORT = 7000;
const tag = `saastest-egress-${randomUUID().slice(0, 8)}`;
// Test-only rules: let the instance network past Docker's isolation between networks, so that what
// decides is our policy alone (its table runs before iptables' filter table, these rules included).
const BYPASS = [
  ...TARGETS.map((t) => ['-s', NETS.instance, '-d', NETS[t], '-m', 'comment', '--comment', tag, '-j', 'ACCEPT']),
  ['-d', NETS.instance, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-m', 'comment', '--comment', tag, '-j', 'ACCEPT'],
];
const CONNECT = `const s = require('net').connect({ host: process.argv[1], port: +process.argv[2], timeout: 3000 });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`;

// A prefix of its own: its table is apart from the one instances-isolation.test.ts installs.
const config = testConfig({ EGRESS_POLICY: 'on', INSTANCE_SUBNET_POOL: POOL, QUEUE_PREFIX: `test-${tag}`, RESOURCE_PREFIX: 'saasegress' });
const table = `${config.resourcePrefix}_egress`;
const policy: EgressPolicy = createEgressPolicy(config);
const name = (role: string) => `${tag}-${role}`;
const ips: Record<string, string> = {};
let hostListener: Server;
let hostPort = 0;

const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();
const iptables = async (...args: string[]) => (await run('iptables', ['-w', ...args])).stdout;
const nft = async (...args: string[]) => (await run('nft', args)).stdout;
const ruleset = () => nft('list', 'table', 'ip', table);
/** A TCP connect from the instance network's container: "connected" or the error code. */
const probe = async (host: string, port: number) => docker('exec', name('probe'), 'node', '-e', CONNECT, host, String(port));

async function network(role: keyof typeof NETS) {
  const labels = [`${LABELS.managed}=true`, `${LABELS.platform}=${config.resourcePrefix}`].flatMap((l) => ['--label', l]);
  await docker('network', 'create', '--driver', 'bridge', '--subnet', NETS[role], ...labels, name(role));
}

async function container(role: string, net: string, script: string, extra: string[] = []) {
  const labels = ['--label', `${LABELS.managed}=true`, '--label', `${LABELS.platform}=${config.resourcePrefix}`];
  await docker('run', '-d', '--name', name(role), '--network', name(net), ...labels, ...extra, '--entrypoint', 'node', IMAGE, '-e', script);
  ips[role] = await docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name(role));
}

beforeAll(async () => {
  await Promise.all((Object.keys(NETS) as (keyof typeof NETS)[]).map(network));
  const listen = `require('net').createServer((s) => s.on('error', () => {}).end('hi')).listen(${LISTEN_PORT}); setInterval(() => {}, 1 << 30);`;
  await Promise.all([...TARGETS.map((t) => container(t, t, listen)), container('neighbour', 'instance', listen)]);
  await container('probe', 'instance', 'setInterval(() => {}, 1 << 30);', ['--add-host', 'host.docker.internal:host-gateway']);
  // A service of the host's own, on every address (as the API or Redis would be if bound to 0.0.0.0).
  // The probe resets its connections: a reset socket must not take the listener down.
  hostListener = createServer((s) => s.on('error', () => undefined).end('host'));
  await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
  hostPort = (hostListener.address() as { port: number }).port;
  for (const rule of BYPASS) await iptables('-I', 'DOCKER-USER', '1', ...rule);
}, 120_000);

afterAll(async () => {
  await policy.remove().catch(() => undefined);
  for (const rule of BYPASS) await iptables('-D', 'DOCKER-USER', ...rule).catch(() => undefined);
  await Promise.all([...TARGETS, 'neighbour', 'probe'].map((r) => docker('rm', '-f', name(r)).catch(() => undefined)));
  await Promise.all(Object.keys(NETS).map((n) => docker('network', 'rm', name(n)).catch(() => undefined)));
  await new Promise((resolve) => hostListener?.close(resolve));
}, 60_000);

describe('egress policy of the instance networks', () => {
  it('without it, an instance reaches the host, private and link-local networks (what the policy must stop)', async () => {
    await policy.remove();
    expect(await probe(NETS.instance.replace(/0\/28$/, '1'), hostPort)).toBe('connected');
    for (const target of TARGETS) expect(await probe(ips[target] as string, LISTEN_PORT)).toBe('connected');
  });

  it('installs a table for its pool only; applying again changes nothing, a tampered table is replaced', async () => {
    expect(await policy.apply()).toEqual({ applied: true, changed: true });
    const rules = await ruleset();
    expect(rules).toContain('type filter hook forward priority filter - 10; policy accept;');
    expect(rules).toContain('type filter hook input priority filter - 10; policy accept;');
    expect(rules).toMatch(new RegExp(`ip saddr != ${POOL.replace(/\./g, '\\.')} accept comment "egress policy [0-9a-f]{16}"`));
    expect(rules).toContain(`ip daddr ${POOL} fib daddr . iif oif missing reject with icmp admin-prohibited`);
    for (const range of ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) expect(rules).toContain(range);
    expect(rules).toContain(`tcp dport { ${config.tenantDbPort}, ${config.edge.httpPort} } accept`);

    expect(await policy.apply()).toEqual({ applied: true, changed: false });
    expect(await ruleset()).toBe(rules);

    // A rule deleted behind its back: the next apply puts the whole table back.
    const listed = JSON.parse(await nft('-j', 'list', 'chain', 'ip', table, 'forward')) as { nftables: { rule?: { handle: number } }[] };
    const last = listed.nftables.flatMap((i) => (i.rule ? [i.rule.handle] : [])).at(-1);
    await nft('delete', 'rule', 'ip', table, 'forward', 'handle', String(last));
    expect(await ruleset()).not.toBe(rules);
    expect(await policy.apply()).toEqual({ applied: true, changed: true });
    expect(await ruleset()).toBe(rules);
  });

  it('keeps the host, other instance networks, private and link-local networks away, but not its own network, the internet nor PostgreSQL', async () => {
    await policy.apply();
    const gateway = NETS.instance.replace(/0\/28$/, '1');
    expect(await probe(gateway, hostPort)).toBe('EHOSTUNREACH');
    expect(await probe('host.docker.internal', hostPort)).toBe('EHOSTUNREACH');
    // Another network of the pool, even with Docker's isolation out of the way (the bypass above).
    expect(await probe(ips.private as string, LISTEN_PORT)).toBe('EHOSTUNREACH');
    expect(await probe(ips.linkLocal as string, LISTEN_PORT)).toBe('EHOSTUNREACH');
    expect(await probe(ips.neighbour as string, LISTEN_PORT)).toBe('connected');
    expect(await probe(ips.internet as string, LISTEN_PORT)).toBe('connected');
    // Odoo's database on the host (TENANT_DB_HOST=host.docker.internal).
    expect(await probe('host.docker.internal', config.tenantDbPort)).toBe('connected');
  });

  it('the worker applies it at start and its reconciler restores a table that vanished', async () => {
    await policy.remove();
    const platform = createPlatform(config);
    const workers = await startWorkers(platform, { consumers: ['maintenance'], maintenance: false });
    try {
      expect(await ruleset()).toContain('fib daddr . iif oif missing');
      // Published for the Nodes page: on one engine, the worker's host stands for the engine's node.
      const nodes = await platform.runtime.listNodes();
      const states = await platform.egressStates.forNodes(nodes);
      expect(states.get(nodes[0]?.id ?? '')).toMatchObject({ state: 'applied', reason: null });
      // What a reboot or a flushed ruleset does.
      await nft('delete', 'table', 'ip', table);
      expect(await probe(ips.private as string, LISTEN_PORT)).toBe('connected');

      expect(await workers.reconciler.repairEgress()).toEqual([{ kind: 'egress_rules_missing', target: POOL, action: 'restored' }]);
      expect(await probe(ips.private as string, LISTEN_PORT)).toBe('EHOSTUNREACH');
      expect(await workers.reconciler.repairEgress()).toEqual([]);
    } finally {
      await workers.close();
      await platform.close();
    }
  });

  it('removes its table', async () => {
    await policy.apply();
    await policy.remove();
    await expect(ruleset()).rejects.toThrow(/No such file or directory/);
    await policy.remove();
  });
});
