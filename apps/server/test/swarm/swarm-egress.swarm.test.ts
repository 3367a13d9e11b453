import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEgressImage } from '../../src/config/runtime-env.js';
import { instanceNames, slotPorts } from '../../src/instances/instance-names.js';
import { Reconciler } from '../../src/instances/reconciler.js';
import { SwarmEgressPolicy } from '../../src/runtime/firewall/swarm-egress-policy.js';
import { call, createUser, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { buildNodeFirewallImage } from '../support/node-firewall-image.js';
import { swarmPlatform } from '../support/swarm-platform.js';

/**
 * The egress policy on every node of a swarm (EGRESS_POLICY=on with INSTANCE_RUNTIME=swarm): the worker loads the
 * nftables table into each node's network namespace through the node's engine, from the platform's own nft image
 * (saas-node-firewall, the default SWARM_EGRESS_IMAGE, built by scripts/build-images.sh and loaded onto the
 * nodes). From inside an instance (the Odoo stand-in, a test fixture) on the lab: another node's
 * ports (its published instance port, Swarm's gossip) and a listener of the test on the lab's host address are
 * refused, its own database's forwarder and Docker's DNS still answer; a table deleted on a node (a reboot, a
 * flushed ruleset) is put back by the reconciler's pass. Traffic stays inside the lab's namespaces.
 */
const IMAGE = 'odoo-standin:18.0';
const DB_NAME = 'saas_test_swarm_egress';
const run = promisify(execFile);

// No SWARM_EGRESS_IMAGE: the default, the platform's image of this version.
const swarm = swarmPlatform({
  dbName: DB_NAME,
  image: IMAGE,
  images: [defaultEgressImage()],
  env: { EGRESS_POLICY: 'on', IMAGE_PULL: 'false' },
});
let owner: TestUser;
let listener: Server | undefined;
let listenerPort = 0;
let listenerConnections = 0;

beforeAll(async () => {
  await buildNodeFirewallImage();
  await swarm.start();
  owner = await createUser(swarm.harness, { label: 'swarm-egress', verify: 'direct' });
  listener = createServer((socket) => {
    listenerConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    listener?.once('error', reject);
    listener?.listen(0, swarm.lab.hostAddress, () => resolve());
  });
  const address = listener.address();
  listenerPort = typeof address === 'object' && address ? address.port : 0;
}, 240_000);

afterAll(async () => {
  await new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
  await swarm.stop();
}, 180_000);

/** The node's own nft, run by the test in the node's namespace: what is loaded there, whatever the platform says. */
async function nodeNft(node: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  return run('nsenter', [`--net=/run/netns/${node}`, '--', 'nft', ...args], { timeout: 20_000 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: Number(err.code ?? 1), stdout: err.stdout ?? '' }),
  );
}

// From inside the instance's container: each target's TCP connect in turn ("connected" or the error code, 3 s at
// most), and Docker's embedded DNS for the instance's own service name. In turn, not at once: the kernel sends a
// host only a few ICMP errors in a burst (icmp_ratelimit), and a refusal past them would look like a timeout.
const PROBE = `const net = require('net'), dns = require('dns');
const targets = JSON.parse(process.argv[1]), out = {};
const connect = ([host, port]) => new Promise((done) => {
  const s = net.connect({ host, port, timeout: 3000 });
  const end = (r) => { out[host + ':' + port] = r; s.destroy(); done(); };
  s.on('connect', () => end('connected')); s.on('timeout', () => end('timeout')); s.on('error', (e) => end(e.code));
});
(async () => {
  for (const target of targets) await connect(target);
  out.dns = await new Promise((done) => dns.lookup(process.argv[2], { family: 4 }, (e, a) => done(e ? e.code : a)));
  console.log(JSON.stringify(out));
})();`;

describe('the egress policy on a swarm', () => {
  it('fences each node’s instances in, keeps their database and DNS, and comes back after a flush', async () => {
    const { platform } = swarm.harness;
    const { lab } = swarm;
    expect(platform.egress).toBeInstanceOf(SwarmEgressPolicy);
    const table = `${platform.config.resourcePrefix}_egress`;

    // Applied by the worker at its start, on every node, by containers that are gone afterwards.
    for (const node of lab.nodes) {
      const listed = await nodeNft(node.name, 'list', 'table', 'ip', table);
      expect(listed.stdout, node.name).toContain('iifname != "docker_gwbridge" accept comment "egress policy');
      const left = await node.docker.listContainers({ all: true, filters: { label: ['saas.role=node-firewall'] } });
      expect(left, node.name).toEqual([]);
    }
    expect(
      (platform.egress as SwarmEgressPolicy)
        .nodeStates()
        .map((s) => [s.node, s.applied])
        .sort(),
    ).toEqual(lab.nodes.map((n) => [n.name, true]));
    // The admin's Nodes page shows it per node, from what the worker published.
    const admin = await createUser(swarm.harness, { label: 'swarm-egress-admin', verify: 'direct', platformRole: 'admin' });
    const listed = await call(swarm.harness.app, 'GET', '/api/v1/admin/system/nodes', { client: admin });
    expect(listed.statusCode, listed.body).toBe(200);
    const shown = (listed.json() as { nodes: { name: string; egress: { state: string; checkedAt: string | null } }[] }).nodes;
    expect(shown.map((n) => [n.name, n.egress.state]).sort()).toEqual(lab.nodes.map((n) => [n.name, 'applied']));
    expect(shown.every((n) => n.egress.checkedAt !== null)).toBe(true);

    const [a, b] = await Promise.all([0, 1].map(() => createInstance(swarm.harness, owner, { version: '18.0' })));
    for (const created of [a, b]) {
      const done = await waitForStatus(swarm.harness, owner, created?.id ?? '', ['running', 'failed'], 120_000);
      expect(done.status, done.lastError ?? '').toBe('running');
    }
    const rowA = await platform.instances.get(a?.id ?? '');
    const rowB = await platform.instances.get(b?.id ?? '');
    const nodeA = lab.nodes.find((n) => n.address === rowA.nodeAddress);
    if (!nodeA || !rowB.nodeAddress) throw new Error('the instances were not recorded on lab nodes');
    const other = lab.nodes.find((n) => n !== nodeA) ?? nodeA;
    const { container } = instanceNames(platform.config.resourcePrefix, rowA.id);
    const portB = slotPorts(platform.config.instancePortBase, rowB.slot).http;

    type Target = [string, number];
    const toB: Target = [rowB.nodeAddress, portB]; // another instance's published port, on its node's address
    const toGossip: Target = [other.address, 7946]; // Swarm's gossip on another node
    const toHost: Target = [lab.hostAddress, listenerPort]; // the lab's host, a port that is neither PostgreSQL nor the edge
    const toMetadata: Target = ['169.254.169.254', 80]; // routed nowhere in the lab: refused on the node either way
    const toDatabase: Target = [lab.hostAddress, swarm.forwarder.port]; // TENANT_DB_HOST:TENANT_DB_PORT, the forwarder
    const probe = async (...targets: Target[]) => {
      const result = await platform.runtime.exec(container, ['/usr/local/bin/node', '-e', PROBE, JSON.stringify(targets), container]);
      expect(result.exitCode, result.output).toBe(0);
      const out = JSON.parse(result.output.trim().split('\n').at(-1) ?? '{}') as Record<string, string>;
      return (target: Target | 'dns') => out[target === 'dns' ? 'dns' : target.join(':')];
    };

    const fenced = await probe(toDatabase, toB, toGossip, toHost, toMetadata);
    expect(fenced(toB)).toBe('EHOSTUNREACH');
    expect(fenced(toGossip)).toBe('EHOSTUNREACH');
    expect(fenced(toHost)).toBe('EHOSTUNREACH');
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(fenced(toMetadata));
    expect(fenced(toDatabase)).toBe('connected');
    expect(fenced('dns')).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(listenerConnections).toBe(0);

    // What a node's reboot or a flushed ruleset does: without the table, the same probes get through.
    expect((await nodeNft(nodeA.name, 'delete', 'table', 'ip', table)).code).toBe(0);
    const open = await probe(toB, toGossip, toHost);
    expect(open(toB)).toBe('connected');
    expect(open(toGossip)).toBe('connected');
    expect(open(toHost)).toBe('connected');
    expect(listenerConnections).toBeGreaterThan(0);

    // The reconciler's pass (the worker runs it every RECONCILE_INTERVAL_SECONDS) puts it back on that node only.
    const reconciler = new Reconciler(platform, platform.queues, platform.egress);
    expect(await reconciler.repairEgress()).toEqual([
      { kind: 'egress_rules_missing', target: platform.config.instanceSubnetPool, action: 'restored' },
    ]);
    const states = (platform.egress as SwarmEgressPolicy).nodeStates();
    expect(states.filter((s) => s.changed).map((s) => s.node)).toEqual([nodeA.name]);
    const again = await probe(toDatabase, toGossip, toHost);
    expect(again(toGossip)).toBe('EHOSTUNREACH');
    expect(again(toHost)).toBe('EHOSTUNREACH');
    expect(again(toDatabase)).toBe('connected');
    expect(await reconciler.repairEgress()).toEqual([]);
  }, 240_000);
});
