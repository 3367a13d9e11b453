import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { BLOCKED_DESTINATIONS, type EgressScope } from '../egress-policy.js';
import { parseCidr } from '../subnets.js';

/**
 * Our base chains run before the `filter` table that iptables (and so Docker) uses: a refusal here
 * is final whatever Docker does to its own chains. Docker re-creates its FORWARD jumps (to
 * DOCKER-USER and to its isolation chains) by deleting and inserting them again each time it
 * creates a network, and a connection opened in between goes through.
 */
const PRIORITY = -10;

/** A refusal the container sees at once ("host unreachable") instead of a connect that hangs for minutes. */
const REFUSE = 'reject with icmp type admin-prohibited';

/** The nftables table of a platform's policy, named after its RESOURCE_PREFIX so two platforms keep their own. */
export function egressTable(name: string): string {
  if (!/^[a-z][a-z0-9]{1,15}$/.test(name)) throw new Error(`bad egress scope name ${JSON.stringify(name)}`);
  return `${name}_egress`;
}

function assertScope(scope: EgressScope): void {
  if (!parseCidr(scope.pool)) throw new Error(`bad egress pool ${JSON.stringify(scope.pool)}`);
  if (scope.bridge !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(scope.bridge)) {
    throw new Error(`bad egress bridge ${JSON.stringify(scope.bridge)}`);
  }
  const badPort = (port: number) => !Number.isInteger(port) || port < 1 || port > 65535;
  if (scope.hostPorts.some(badPort)) throw new Error(`bad host port in ${JSON.stringify(scope.hostPorts)}`);
  for (const e of scope.exceptions) {
    if (!isIPv4(e.address) || badPort(e.port) || !['tcp', 'udp'].includes(e.protocol)) {
      throw new Error(`bad egress exception ${JSON.stringify(e)}`);
    }
  }
}

export interface EgressRuleset {
  table: string;
  /** Each base chain's rules, in order. */
  chains: { forward: string[]; input: string[] };
  /** Names this exact ruleset: carried by each chain's first rule, so an apply can tell it is in place. */
  fingerprint: string;
}

/**
 * The rules of both chains. Traffic of the pool that the policy allows is `accept`ed by our chain
 * only: Docker's rules and the host firewall still decide after it.
 *
 * On a swarm node (`scope.bridge`) the instances' traffic is what comes in by `docker_gwbridge`: a task
 * leaves its overlay by that bridge with its own address there, so the pool never shows as a source on
 * the node. Traffic inside an overlay (and its VXLAN, sent by the node itself) never meets these hooks, so
 * no address of the pool is ever a legitimate destination from the bridge.
 */
export function egressRules(scope: EgressScope): EgressRuleset {
  assertScope(scope);
  const table = egressTable(scope.name);
  const pool = scope.pool;
  const exceptions = scope.exceptions.map((e) => `ip daddr ${e.address} ${e.protocol} dport ${e.port} accept`);
  const pooled = scope.bridge
    ? [`ip daddr ${pool} ${REFUSE} comment "another instance network"`]
    : [
        // A routed packet from one instance network to another: the route to its destination leaves by
        // another bridge than the one it came in on. Within one network (bridged) it is the same bridge.
        `ip daddr ${pool} fib daddr . iif oif missing ${REFUSE} comment "another instance network"`,
        `ip daddr ${pool} accept`,
      ];
  const forward = [
    'ct state established,related accept',
    ...pooled,
    ...exceptions,
    `ip daddr { ${BLOCKED_DESTINATIONS.join(', ')} } ${REFUSE}`,
  ];
  const hostPorts = scope.hostPorts.length > 0 ? [`tcp dport { ${scope.hostPorts.join(', ')} } accept`] : [];
  const input = [
    'ct state established,related accept',
    ...hostPorts,
    // A resolver (or the tenants' PostgreSQL) named by one of the host's own addresses.
    ...exceptions,
    REFUSE,
  ];
  const ours = scope.bridge ? `iifname != "${scope.bridge}"` : `ip saddr != ${pool}`;
  const named = scope.bridge ? { pool, bridge: scope.bridge, forward, input } : { pool, forward, input };
  const fingerprint = createHash('sha256').update(JSON.stringify(named)).digest('hex').slice(0, 16);
  // Only the instances' traffic is ours; everything else leaves our chains at once.
  const head = `${ours} accept comment "egress policy ${fingerprint}"`;
  return { table, chains: { forward: [head, ...forward], input: [head, ...input] }, fingerprint };
}

/**
 * One `nft -f` transaction that replaces the table whole (declaring it first makes the delete
 * valid when it does not exist yet): no half-applied state is ever visible.
 */
export function egressScript(rules: EgressRuleset): string {
  const chain = (name: 'forward' | 'input') => [
    `  chain ${name} {`,
    `    type filter hook ${name} priority ${PRIORITY}; policy accept;`,
    ...rules.chains[name].map((rule) => `    ${rule}`),
    '  }',
  ];
  return [
    `table ip ${rules.table} {}`,
    `delete table ip ${rules.table}`,
    `table ip ${rules.table} {`,
    ...chain('forward'),
    ...chain('input'),
    '}',
    '',
  ].join('\n');
}
