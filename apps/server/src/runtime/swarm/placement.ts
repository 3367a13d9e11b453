import { unavailable } from '../../errors/domain-error.js';
import type { Labels } from '../instance-runtime.js';

/**
 * Where an instance runs on a swarm: the node with the most free memory that can hold its reservation.
 * The Swarm driver pins the chosen node with a `node.id==` constraint and the plan's reservations, so Swarm
 * itself never moves an instance: drains and lost nodes are planned here, and the data moves with them.
 * Pure functions over a snapshot of the nodes; inputs are never changed.
 */

/** Memory in MiB, CPU in thousandths of a core: as a plan's limits and Swarm's reservations count them. */
export interface Resources {
  memoryMb: number;
  cpuMillis: number;
}

/** Swarm's own words: `active` takes new tasks, `pause` keeps its tasks but takes no new ones, `drain` empties. */
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'ready' | 'down';

export interface SwarmNode {
  id: string;
  /** The node's labels (`docker node update --label-add tier=gold`), matched by `node.labels.<name>`. */
  labels: Labels;
  availability: NodeAvailability;
  state: NodeState;
  capacity: Resources;
  /** The sum of the reservations of the instances placed on it. */
  reserved: Resources;
  instanceCount: number;
}

export type ConstraintKey = 'node.id' | `node.labels.${string}`;

/** One Swarm placement constraint: `node.labels.tier==gold`, `node.labels.tier!=trial`. */
export interface NodeConstraint {
  key: ConstraintKey;
  op: '==' | '!=';
  value: string;
}

export interface PlacementRequest {
  /** The plan's reservations. */
  reservation: Resources;
  /** All must hold. */
  constraints?: readonly NodeConstraint[];
  /** Never this node: the one an instance is being moved off. */
  avoidNodeId?: string;
}

export type RefusalCode = 'no_schedulable_node' | 'no_matching_node' | 'no_capacity';

export interface PlacementRefusal {
  code: RefusalCode;
  /** For the operator: what is missing, and where it came closest. */
  reason: string;
}

export type PlacementDecision = { placed: true; node: SwarmNode } | { placed: false; refusal: PlacementRefusal };

/** An instance as it runs now, with what placing it elsewhere needs. */
export interface PlacedInstance {
  id: string;
  nodeId: string;
  reservation: Resources;
  constraints?: readonly NodeConstraint[];
}

export interface Move {
  instanceId: string;
  from: string;
  to: string;
  reservation: Resources;
}

export interface Leftover {
  instanceId: string;
  reservation: Resources;
  refusal: PlacementRefusal;
}

export interface MovePlan {
  /** `drain`: moved with their data; `failover`: the caller restores them from their latest backup. */
  kind: 'drain' | 'failover';
  nodeId: string;
  /** Largest first, in the order they were planned. */
  moves: Move[];
  /** Instances that fit on no other node: they stay listed for the operator, never dropped. */
  leftovers: Leftover[];
  /** The nodes once the moves are made: the source keeps only its leftovers. */
  nodes: SwarmNode[];
}

export const constraintText = (c: NodeConstraint) => `${c.key}${c.op}${c.value}`;

/** For the caller that has to report a refusal as an error (e.g. an API request to create an instance). */
export const refusalError = (refusal: PlacementRefusal) => unavailable(refusal.code, refusal.reason);

const schedulable = (node: SwarmNode) => node.availability === 'active' && node.state === 'ready';

function nodeValue(node: SwarmNode, key: ConstraintKey): string | undefined {
  if (key === 'node.id') return node.id;
  return node.labels[key.slice('node.labels.'.length)];
}

/** Swarm's semantics: `==` needs the label with that value; `!=` also holds when the label is missing. */
export function matchesConstraints(node: SwarmNode, constraints: readonly NodeConstraint[] = []): boolean {
  for (const c of constraints) {
    const equal = nodeValue(node, c.key) === c.value;
    if (equal !== (c.op === '==')) return false;
  }
  return true;
}

/** Memory first, the spread: more free memory after placement wins, then more free CPU, fewer instances, the lower id. */
function better(a: SwarmNode, b: SwarmNode): boolean {
  const memory = a.capacity.memoryMb - a.reserved.memoryMb - (b.capacity.memoryMb - b.reserved.memoryMb);
  if (memory !== 0) return memory > 0;
  const cpu = a.capacity.cpuMillis - a.reserved.cpuMillis - (b.capacity.cpuMillis - b.reserved.cpuMillis);
  if (cpu !== 0) return cpu > 0;
  if (a.instanceCount !== b.instanceCount) return a.instanceCount < b.instanceCount;
  return a.id < b.id;
}

const mib = (n: number) => `${n} MiB`;
const nodesWord = (n: number) => `${n} ${n === 1 ? 'node' : 'nodes'}`;
const cores = (millis: number) => `${millis / 1000} ${millis === 1000 ? 'core' : 'cores'}`;

/** One pass over the nodes: the index of the best one, or why there is none. */
function scan(nodes: readonly SwarmNode[], request: PlacementRequest): number | PlacementRefusal {
  const { memoryMb, cpuMillis } = request.reservation;
  let best = -1;
  let available = 0;
  let matching = 0;
  let memoryFits = 0;
  // Where it came closest, for the refusal's reason.
  let mostMemory: SwarmNode | undefined;
  let mostCpu: SwarmNode | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!node || !schedulable(node) || node.id === request.avoidNodeId) continue;
    available++;
    if (!matchesConstraints(node, request.constraints)) continue;
    matching++;
    const freeMemory = node.capacity.memoryMb - node.reserved.memoryMb;
    if (!mostMemory || freeMemory > mostMemory.capacity.memoryMb - mostMemory.reserved.memoryMb) mostMemory = node;
    if (freeMemory < memoryMb) continue;
    memoryFits++;
    const freeCpu = node.capacity.cpuMillis - node.reserved.cpuMillis;
    if (!mostCpu || freeCpu > mostCpu.capacity.cpuMillis - mostCpu.reserved.cpuMillis) mostCpu = node;
    if (freeCpu < cpuMillis) continue;
    const current = nodes[best];
    if (!current || better(node, current)) best = i;
  }
  if (best >= 0) return best;
  if (available === 0) return { code: 'no_schedulable_node', reason: noSchedulableReason(nodes, request.avoidNodeId) };
  if (matching === 0) {
    const wanted = (request.constraints ?? []).map(constraintText).join(' and ');
    return { code: 'no_matching_node', reason: `No available node matches ${wanted} (${nodesWord(available)} checked).` };
  }
  const wanted = `${mib(memoryMb)} and ${cores(cpuMillis)}`;
  if (mostCpu) {
    const free = mostCpu.capacity.cpuMillis - mostCpu.reserved.cpuMillis;
    return {
      code: 'no_capacity',
      reason: `Not enough CPU for ${wanted}: ${memoryFits} of ${nodesWord(matching)} checked have the memory, but the most CPU free there is ${cores(free)}, on ${mostCpu.id}.`,
    };
  }
  const free = mostMemory ? mostMemory.capacity.memoryMb - mostMemory.reserved.memoryMb : 0;
  return {
    code: 'no_capacity',
    reason: `Not enough memory for ${wanted}: the most free is ${mib(free)}, on ${mostMemory?.id} (${nodesWord(matching)} checked).`,
  };
}

function noSchedulableReason(nodes: readonly SwarmNode[], avoidNodeId: string | undefined): string {
  if (nodes.length === 0) return 'The swarm has no nodes.';
  const count = (test: (n: SwarmNode) => boolean) => nodes.filter(test).length;
  const parts = [
    [count((n) => n.state === 'down'), 'down'],
    [count((n) => n.state === 'ready' && n.availability === 'drain'), 'draining'],
    [count((n) => n.state === 'ready' && n.availability === 'pause'), 'paused'],
    [count((n) => n.id === avoidNodeId && schedulable(n)), 'the node being left'],
  ] as const;
  const why = parts.filter(([n]) => n > 0).map(([n, what]) => (what === 'the node being left' ? what : `${n} ${what}`));
  return `No node takes new instances (${nodes.length} in the swarm: ${why.join(', ')}).`;
}

/** The node for a new instance (or a moved one), or a refusal saying why none will do. */
export function chooseNode(nodes: readonly SwarmNode[], request: PlacementRequest): PlacementDecision {
  const found = scan(nodes, request);
  if (typeof found !== 'number') return { placed: false, refusal: found };
  return { placed: true, node: nodes[found] as SwarmNode };
}

/** Largest first: the big ones have the fewest places to go, so they choose while there is room. */
function largestFirst(a: PlacedInstance, b: PlacedInstance): number {
  return (
    b.reservation.memoryMb - a.reservation.memoryMb ||
    b.reservation.cpuMillis - a.reservation.cpuMillis ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function planMoves(kind: MovePlan['kind'], nodeId: string, nodes: readonly SwarmNode[], instances: readonly PlacedInstance[]): MovePlan {
  // Working copies, filled as the plan goes, so each choice sees the ones before it.
  const working = nodes.map((n) => ({ ...n, reserved: { ...n.reserved } }));
  const leaving = instances.filter((i) => i.nodeId === nodeId).sort(largestFirst);
  const moves: Move[] = [];
  const leftovers: Leftover[] = [];
  for (const instance of leaving) {
    const found = scan(working, { reservation: instance.reservation, constraints: instance.constraints, avoidNodeId: nodeId });
    if (typeof found !== 'number') {
      leftovers.push({ instanceId: instance.id, reservation: instance.reservation, refusal: found });
      continue;
    }
    const target = working[found] as SwarmNode;
    target.reserved.memoryMb += instance.reservation.memoryMb;
    target.reserved.cpuMillis += instance.reservation.cpuMillis;
    target.instanceCount++;
    moves.push({ instanceId: instance.id, from: nodeId, to: target.id, reservation: instance.reservation });
  }
  const source = working.find((n) => n.id === nodeId);
  if (source) {
    for (const m of moves) {
      source.reserved.memoryMb -= m.reservation.memoryMb;
      source.reserved.cpuMillis -= m.reservation.cpuMillis;
    }
    source.instanceCount -= moves.length;
  }
  return { kind, nodeId, moves, leftovers, nodes: working };
}

/**
 * Where each instance of a node being drained goes, largest first, filling the other nodes as it plans.
 * `instances` may hold every instance of the swarm: only those on `nodeId` are moved.
 */
export const planDrain = (nodeId: string, nodes: readonly SwarmNode[], instances: readonly PlacedInstance[]) =>
  planMoves('drain', nodeId, nodes, instances);

/** The same for a lost node: the caller restores each instance on its new node from its latest backup. */
export const planFailover = (lostNodeId: string, nodes: readonly SwarmNode[], instances: readonly PlacedInstance[]) =>
  planMoves('failover', lostNodeId, nodes, instances);
