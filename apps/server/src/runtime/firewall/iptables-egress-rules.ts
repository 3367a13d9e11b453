import { isIPv4 } from 'node:net';
import { BLOCKED_DESTINATIONS, type EgressScope } from '../egress-policy.js';
import { parseCidr } from '../subnets.js';

/** Docker jumps to it first from FORWARD and leaves it to the admin (it re-creates it, empty, on restart). */
export const DOCKER_USER = 'DOCKER-USER';

/** A refusal the container sees at once ("host unreachable") instead of a connect that hangs for minutes. */
const REFUSE = ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited'];

export interface EgressChains {
  /** Routed traffic out of the pool (hooked into DOCKER-USER). */
  forward: string;
  /** Traffic from the pool to the host itself (hooked into INPUT: it never crosses FORWARD). */
  input: string;
}

export function egressChains(name: string): EgressChains {
  // RESOURCE_PREFIX's grammar; iptables chain names stop at 28 characters.
  if (!/^[a-z][a-z0-9]{1,15}$/.test(name)) throw new Error(`bad egress scope name ${JSON.stringify(name)}`);
  return { forward: `${name}-egress-fwd`, input: `${name}-egress-in` };
}

/** The hooks: which parent chain sends which source to our chains. */
export function egressJumps(scope: EgressScope): { parent: string; rule: string[] }[] {
  const chains = egressChains(scope.name);
  return [
    { parent: DOCKER_USER, rule: ['-s', scope.pool, '-j', chains.forward] },
    { parent: 'INPUT', rule: ['-s', scope.pool, '-j', chains.input] },
  ];
}

function assertScope(scope: EgressScope): void {
  if (!parseCidr(scope.pool)) throw new Error(`bad egress pool ${JSON.stringify(scope.pool)}`);
  const badPort = (port: number) => !Number.isInteger(port) || port < 1 || port > 65535;
  if (scope.hostPorts.some(badPort)) throw new Error(`bad host port in ${JSON.stringify(scope.hostPorts)}`);
  for (const e of scope.exceptions) {
    if (!isIPv4(e.address) || badPort(e.port) || !['tcp', 'udp'].includes(e.protocol)) {
      throw new Error(`bad egress exception ${JSON.stringify(e)}`);
    }
  }
}

/**
 * The rules of both chains, each an argument list after `-A <chain>`. A rule that lets a packet
 * through RETURNs rather than ACCEPTs: Docker's own rules and the host firewall still decide after us.
 */
export function egressRules(scope: EgressScope): { forward: string[][]; input: string[][] } {
  assertScope(scope);
  const replies = ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN'];
  const exceptions = scope.exceptions.map((e) => [
    '-d',
    `${e.address}/32`,
    '-p',
    e.protocol,
    '-m',
    e.protocol,
    '--dport',
    String(e.port),
    '-j',
    'RETURN',
  ]);
  const forward = [
    replies,
    // Inside the pool Docker's own isolation already keeps one instance network from another.
    ['-d', scope.pool, '-j', 'RETURN'],
    ...exceptions,
    ...BLOCKED_DESTINATIONS.map((range) => ['-d', range, ...REFUSE]),
  ];
  const input = [
    replies,
    ...scope.hostPorts.map((port) => ['-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', 'RETURN']),
    // A resolver (or the tenants' PostgreSQL) named by one of the host's own addresses.
    ...exceptions,
    REFUSE,
  ];
  return { forward, input };
}

/** One line of `iptables -S` split into its words (our rules and Docker's never quote). */
export function ruleWords(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}
