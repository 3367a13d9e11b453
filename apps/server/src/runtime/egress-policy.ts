import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { parseCidr } from './subnets.js';

/**
 * What instance containers may reach: the internet, yes; the host's own services, link-local
 * (cloud metadata) and the private networks around the platform, no. Enforced by the host's packet
 * filter; `apply` is idempotent and repairs rules that vanished (dockerd re-creates its chains on restart).
 */
export interface EgressPolicy {
  apply(): Promise<EgressResult>;
  /** Removes this platform's rules (tests; turning the policy off). */
  remove(): Promise<void>;
  /**
   * A policy that spans several machines (a swarm): how it stands on each one after the last apply. Without it,
   * the policy is this machine's (the worker's host) and the apply's result says how it stands here.
   */
  nodeStates?(): readonly NodeEgressState[];
}

export type EgressResult = { applied: true; changed: boolean } | { applied: false; reason: string };

/** How the policy stands on one node after the last apply. */
export interface NodeEgressState {
  /** The node's hostname. */
  node: string;
  /** The node's id (the swarm's). */
  nodeId: string;
  applied: boolean;
  changed: boolean;
  /** Left without the policy on purpose (it runs other services' tasks), not a failure; `reason` says why. */
  skipped?: boolean;
  reason?: string;
}

/** A destination outside the host that the instances still need (DNS resolvers, a remote PostgreSQL). */
export interface EgressException {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export interface EgressScope {
  /** Names the rule chains: the platform's RESOURCE_PREFIX, so two platforms on one host keep their own. */
  name: string;
  /** The instance networks' pool (INSTANCE_SUBNET_POOL). */
  pool: string;
  /** TCP ports of the host itself that stay open to instances: PostgreSQL and the public edge. */
  hostPorts: number[];
  exceptions: EgressException[];
  /**
   * On a swarm node: the bridge the instances' traffic comes in by (`docker_gwbridge`, their way out of their
   * overlay, from its own addresses, not the pool's). Absent on one host, where their source is the pool.
   */
  bridge?: string;
}

/**
 * Destinations refused to instances: private (RFC 1918), carrier-grade NAT, link-local (metadata
 * services at 169.254.169.254), "this network", multicast and reserved. The host itself is refused
 * separately, whatever its addresses are.
 */
export const BLOCKED_DESTINATIONS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

export class NoEgressPolicy implements EgressPolicy {
  constructor(private readonly reason: string) {}
  async apply(): Promise<EgressResult> {
    return { applied: false, reason: this.reason };
  }
  async remove(): Promise<void> {}
  /** Applied nowhere: no machine to report on (the Nodes page says `off` from the configuration). */
  nodeStates(): readonly NodeEgressState[] {
    return [];
  }
}

/** The IPv4 nameservers of the host: Docker's embedded DNS forwards the containers' queries to them from inside the container. */
export async function hostNameservers(files = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf']): Promise<string[]> {
  const found = new Set<string>();
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [keyword, address] = line.trim().split(/\s+/);
      // Loopback resolvers are never used from a container (Docker swaps them for the real upstreams).
      if (keyword === 'nameserver' && address && isIPv4(address) && !address.startsWith('127.')) found.add(address);
    }
  }
  return [...found];
}

export interface EgressScopeInput {
  resourcePrefix: string;
  instanceSubnetPool: string;
  tenantDbHost: string;
  tenantDbPort: number;
  edgePorts: number[];
}

/** The scope of a platform's policy, from its settings and the host's resolvers. */
export async function egressScopeFor(input: EgressScopeInput, nameservers?: string[]): Promise<EgressScope> {
  if (!parseCidr(input.instanceSubnetPool)) throw new Error(`bad instance subnet pool ${input.instanceSubnetPool}`);
  const exceptions: EgressException[] = [];
  for (const address of nameservers ?? (await hostNameservers())) {
    exceptions.push({ address, port: 53, protocol: 'udp' }, { address, port: 53, protocol: 'tcp' });
  }
  // A PostgreSQL elsewhere on the private network: only its address and port, nothing else there.
  if (input.tenantDbHost !== 'host.docker.internal') {
    const address = isIPv4(input.tenantDbHost)
      ? input.tenantDbHost
      : await lookup(input.tenantDbHost, { family: 4 })
          .then((r) => r.address)
          .catch(() => null);
    if (address) exceptions.push({ address, port: input.tenantDbPort, protocol: 'tcp' });
  }
  return {
    name: input.resourcePrefix,
    pool: input.instanceSubnetPool,
    // The edge ports are public anyway, and Odoo fetches its own pages through its public URL (PDF reports).
    hostPorts: [...new Set([input.tenantDbPort, ...input.edgePorts])],
    exceptions,
  };
}

interface EgressLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Where the policy stood on one machine at an apply, as the worker publishes it for the admin's Nodes page. */
export interface EgressReport {
  /** The swarm node's id, or HOST_EGRESS_NODE for the worker's own host (one engine). */
  nodeId: string;
  nodeName: string;
  state: 'applied' | 'failed' | 'skipped';
  reason: string | null;
  checkedAt: string;
}

/** Stands for the machine the worker runs on, where the one-host policy is applied (the single engine's node). */
export const HOST_EGRESS_NODE = 'host';

/**
 * Where the worker puts each machine's state after an apply (system/egress-states.ts: Redis, with a TTL, read by
 * the API's Nodes page). A machine missing from an apply's reports keeps its last one until it expires.
 */
export interface EgressStatePublisher {
  publish(reports: EgressReport[]): Promise<void>;
}

/** What an apply says about each machine: every node a swarm policy visited, else the worker's host. */
export function egressReports(policy: EgressPolicy, result: EgressResult, checkedAt = new Date()): EgressReport[] {
  const at = checkedAt.toISOString();
  const states = policy.nodeStates?.();
  if (states) {
    return states.map((s) => ({
      nodeId: s.nodeId,
      nodeName: s.node,
      state: s.applied ? 'applied' : s.skipped ? 'skipped' : 'failed',
      reason: s.applied ? null : (s.reason ?? null),
      checkedAt: at,
    }));
  }
  return [
    {
      nodeId: HOST_EGRESS_NODE,
      nodeName: hostname(),
      state: result.applied ? 'applied' : 'failed',
      reason: result.applied ? null : result.reason,
      checkedAt: at,
    },
  ];
}

const lastReason = new WeakMap<EgressPolicy, string>();

/**
 * Applies the policy for the worker's start and each reconcile run: logs when rules had to be
 * (re)installed, and warns once per reason when they cannot be (not root, no nft); then publishes where it
 * stands on each machine (`publisher`, for the admin's Nodes page).
 * Never throws: a firewall problem must not stop instances from being served.
 */
export async function enforceEgressPolicy(policy: EgressPolicy, log: EgressLog, publisher?: EgressStatePublisher): Promise<EgressResult> {
  const result = await policy
    .apply()
    .catch((err: unknown): EgressResult => ({ applied: false, reason: err instanceof Error ? err.message : String(err) }));
  // Redis away: the last states expire, and the Nodes page says `unknown` rather than something stale.
  await publisher?.publish(egressReports(policy, result)).catch(() => undefined);
  if (result.applied) {
    lastReason.delete(policy);
    if (result.changed) log.info({ egress: 'applied' }, 'egress policy rules installed for the instance networks');
  } else if (lastReason.get(policy) !== result.reason) {
    lastReason.set(policy, result.reason);
    if (result.reason !== 'EGRESS_POLICY=off') {
      log.warn(
        { egress: 'not applied', reason: result.reason },
        'egress policy NOT applied: instances can reach the host and private networks',
      );
    }
  }
  return result;
}
