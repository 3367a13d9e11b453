import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors/domain-error.js';
import {
  chooseNode,
  type PlacedInstance,
  type PlacementDecision,
  type PlacementRequest,
  planDrain,
  planFailover,
  type Resources,
  refusalError,
  type SwarmNode,
} from './placement.js';

const GiB = 1024;

function node(id: string, memoryGiB: number, cores: number, more: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id,
    labels: {},
    availability: 'active',
    state: 'ready',
    capacity: { memoryMb: memoryGiB * GiB, cpuMillis: cores * 1000 },
    reserved: { memoryMb: 0, cpuMillis: 0 },
    instanceCount: 0,
    ...more,
  };
}

const reserve = (memoryMb: number, cpuMillis: number): Resources => ({ memoryMb, cpuMillis });
const chosen = (d: PlacementDecision) => (d.placed ? d.node.id : d.refusal.code);

/** Places each request in turn, adding its reservation to the node chosen: the ids chosen. */
function placeAll(nodes: SwarmNode[], requests: PlacementRequest[]): string[] {
  return requests.map((request) => {
    const d = chooseNode(nodes, request);
    if (!d.placed) return d.refusal.code;
    d.node.reserved.memoryMb += request.reservation.memoryMb;
    d.node.reserved.cpuMillis += request.reservation.cpuMillis;
    d.node.instanceCount++;
    return d.node.id;
  });
}

describe('chooseNode', () => {
  it('spreads by free memory first, in MiB, whatever the node sizes', () => {
    const nodes = [
      node('a', 16, 8, { reserved: reserve(10 * GiB, 0) }), // 6 GiB free
      node('b', 8, 4), // 8 GiB free
      node('c', 32, 16, { reserved: reserve(25 * GiB, 0) }), // 7 GiB free
    ];
    const oneGiB = { reservation: reserve(GiB, 1000) };
    // b (8 free), then c (7, ahead of b's 7 on CPU), b (7), c (6, ahead of a and b's 6 on CPU).
    expect(placeAll(nodes, [oneGiB, oneGiB, oneGiB, oneGiB])).toEqual(['b', 'c', 'b', 'c']);
    expect(nodes.map((n) => n.capacity.memoryMb - n.reserved.memoryMb)).toEqual([6 * GiB, 6 * GiB, 5 * GiB]);
  });

  it('breaks a memory tie by free CPU, then fewer instances, then the lower id', () => {
    const half = { reservation: reserve(512, 500) };
    expect(chosen(chooseNode([node('a', 8, 4), node('b', 8, 8)], half))).toBe('b');
    expect(chosen(chooseNode([node('b', 8, 4), node('a', 8, 4, { instanceCount: 1 })], half))).toBe('b');
    expect(chosen(chooseNode([node('b', 8, 4), node('a', 8, 4)], half))).toBe('a');
  });

  it('takes CPU as the second limit: a node with the memory but not the CPU is passed over', () => {
    const nodes = [node('big', 64, 4, { reserved: reserve(0, 3500) }), node('small', 8, 4)];
    expect(chosen(chooseNode(nodes, { reservation: reserve(GiB, 1000) }))).toBe('small');
    expect(chosen(chooseNode(nodes, { reservation: reserve(GiB, 500) }))).toBe('big');
  });

  it('holds to label constraints, == and !=, with Swarm semantics for a missing label', () => {
    const nodes = [
      node('plain', 64, 32),
      node('gold', 8, 4, { labels: { tier: 'gold' } }),
      node('trial', 16, 8, { labels: { tier: 'trial' } }),
    ];
    const r = reserve(GiB, 1000);
    expect(chosen(chooseNode(nodes, { reservation: r, constraints: [{ key: 'node.labels.tier', op: '==', value: 'gold' }] }))).toBe('gold');
    // != also matches the node without the label, which has the most memory.
    expect(chosen(chooseNode(nodes, { reservation: r, constraints: [{ key: 'node.labels.tier', op: '!=', value: 'gold' }] }))).toBe(
      'plain',
    );
    const notPlainNorGold = [
      { key: 'node.labels.tier', op: '!=', value: 'gold' },
      { key: 'node.id', op: '!=', value: 'plain' },
    ] as const;
    expect(chosen(chooseNode(nodes, { reservation: r, constraints: notPlainNorGold }))).toBe('trial');
    const none = chooseNode(nodes, { reservation: r, constraints: [{ key: 'node.labels.tier', op: '==', value: 'platinum' }] });
    expect(none).toEqual({
      placed: false,
      refusal: { code: 'no_matching_node', reason: 'No available node matches node.labels.tier==platinum (3 nodes checked).' },
    });
  });

  it('never chooses a drained, paused or down node, nor the node being left', () => {
    const r = { reservation: reserve(512, 500) };
    const nodes = [
      node('drained', 64, 32, { availability: 'drain' }),
      node('paused', 64, 32, { availability: 'pause' }),
      node('down', 64, 32, { state: 'down' }),
      node('left', 64, 32),
      node('small', 8, 4, { reserved: reserve(7 * GiB, 3000) }),
    ];
    expect(chosen(chooseNode(nodes, r))).toBe('left');
    expect(chosen(chooseNode(nodes, { ...r, avoidNodeId: 'left' }))).toBe('small');
    const refusal = chooseNode(nodes.slice(0, 4), { ...r, avoidNodeId: 'left' });
    expect(refusal).toEqual({
      placed: false,
      refusal: {
        code: 'no_schedulable_node',
        reason: 'No node takes new instances (4 in the swarm: 1 down, 1 draining, 1 paused, the node being left).',
      },
    });
  });

  it('says why it refuses: which resource is short, and where it came closest', () => {
    const nodes = [node('a', 8, 4, { reserved: reserve(7 * GiB, 1000) }), node('b', 8, 4, { reserved: reserve(6 * GiB, 3500) })];
    expect(chooseNode(nodes, { reservation: reserve(4 * GiB, 2000) })).toEqual({
      placed: false,
      refusal: {
        code: 'no_capacity',
        reason: 'Not enough memory for 4096 MiB and 2 cores: the most free is 2048 MiB, on b (2 nodes checked).',
      },
    });
    expect(chooseNode(nodes, { reservation: reserve(GiB, 3500) })).toEqual({
      placed: false,
      refusal: {
        code: 'no_capacity',
        reason:
          'Not enough CPU for 1024 MiB and 3.5 cores: 2 of 2 nodes checked have the memory, but the most CPU free there is 3 cores, on a.',
      },
    });
    const error = refusalError({ code: 'no_capacity', reason: 'full' });
    expect(error).toBeInstanceOf(DomainError);
    expect([error.kind, error.code, error.message]).toEqual(['unavailable', 'no_capacity', 'full']);
  });

  it('fits a reservation exactly into what is free', () => {
    const nodes = [node('a', 8, 4, { reserved: reserve(7 * GiB, 3000) })];
    expect(chosen(chooseNode(nodes, { reservation: reserve(GiB, 1000) }))).toBe('a');
    expect(chosen(chooseNode(nodes, { reservation: reserve(GiB + 1, 1000) }))).toBe('no_capacity');
  });

  it('is deterministic: the order of the nodes does not change the choice', () => {
    const nodes = ['d', 'b', 'e', 'a', 'c'].map((id) => node(id, 16, 8));
    const sorted = [...nodes].sort((x, y) => (x.id < y.id ? -1 : 1)).map((n) => ({ ...n, reserved: { ...n.reserved } }));
    const requests = Array.from({ length: 12 }, (_, i) => ({ reservation: reserve(512 * (1 + (i % 3)), 500) }));
    const first = placeAll(nodes, requests);
    expect(placeAll(sorted, requests)).toEqual(first);
    expect(first.slice(0, 6)).toEqual(['a', 'b', 'c', 'd', 'e', 'a']);
  });
});

describe('planDrain', () => {
  const instance = (
    id: string,
    nodeId: string,
    memoryMb: number,
    cpuMillis: number,
    more: Partial<PlacedInstance> = {},
  ): PlacedInstance => ({
    id,
    nodeId,
    reservation: reserve(memoryMb, cpuMillis),
    ...more,
  });

  it('moves the largest first, fills the others without exceeding them, and lists what fits nowhere', () => {
    const nodes = [
      node('old', 16, 8, { availability: 'drain', reserved: reserve(7680, 5500), instanceCount: 4 }),
      node('x', 4, 4, { reserved: reserve(GiB, 1000), instanceCount: 1 }), // 3 GiB free
      node('y', 4, 2, { reserved: reserve(2 * GiB, 0), instanceCount: 1 }), // 2 GiB free, 2 cores
    ];
    const instances = [
      instance('small', 'old', 512, 500),
      instance('huge', 'old', 4 * GiB, 2000),
      instance('mid', 'old', 2 * GiB, 2000),
      instance('one', 'old', GiB, 1000),
      instance('elsewhere', 'x', GiB, 1000),
    ];
    const before = structuredClone(nodes);
    const plan = planDrain('old', nodes, instances);
    expect(plan.kind).toBe('drain');
    expect(plan.moves.map((m) => [m.instanceId, m.to])).toEqual([
      ['mid', 'x'],
      ['one', 'y'],
      ['small', 'x'],
    ]);
    expect(plan.leftovers.map((l) => [l.instanceId, l.refusal.code])).toEqual([['huge', 'no_capacity']]);
    for (const n of plan.nodes) {
      expect(n.reserved.memoryMb).toBeLessThanOrEqual(n.capacity.memoryMb);
      expect(n.reserved.cpuMillis).toBeLessThanOrEqual(n.capacity.cpuMillis);
    }
    expect(plan.nodes.map((n) => [n.id, n.reserved.memoryMb, n.reserved.cpuMillis, n.instanceCount])).toEqual([
      ['old', 4 * GiB, 2000, 1],
      ['x', 3584, 3500, 3],
      ['y', 3 * GiB, 1000, 2],
    ]);
    expect(nodes).toEqual(before);
  });

  it('keeps each instance to its constraints when it moves', () => {
    const nodes = [node('old', 16, 8, { availability: 'drain' }), node('plain', 64, 32), node('gold', 8, 4, { labels: { tier: 'gold' } })];
    const gold = [{ key: 'node.labels.tier', op: '==', value: 'gold' }] as const;
    const plan = planDrain('old', nodes, [instance('g1', 'old', GiB, 1000, { constraints: gold }), instance('p1', 'old', GiB, 1000)]);
    expect(plan.moves.map((m) => [m.instanceId, m.to])).toEqual([
      ['g1', 'gold'],
      ['p1', 'plain'],
    ]);
    expect(plan.leftovers).toEqual([]);
  });
});

describe('planFailover', () => {
  it('re-places a lost node’s instances on the others, never on the lost node, and lists the rest', () => {
    const nodes = [
      node('lost', 64, 32, { state: 'down', reserved: reserve(6 * GiB, 5000), instanceCount: 5 }),
      node('a', 4, 4),
      node('b', 2, 2, { availability: 'pause' }),
    ];
    const instances = ['i1', 'i2', 'i3', 'i4', 'i5'].map((id, n) => ({
      id,
      nodeId: 'lost',
      reservation: reserve(n === 0 ? 2 * GiB : GiB, 1000),
    }));
    const plan = planFailover('lost', nodes, instances);
    expect(plan.kind).toBe('failover');
    expect(plan.moves.map((m) => [m.instanceId, m.from, m.to])).toEqual([
      ['i1', 'lost', 'a'],
      ['i2', 'lost', 'a'],
      ['i3', 'lost', 'a'],
    ]);
    expect(plan.leftovers.map((l) => l.instanceId)).toEqual(['i4', 'i5']);
    expect(plan.leftovers[0]?.refusal.reason).toBe(
      'Not enough memory for 1024 MiB and 1 core: the most free is 0 MiB, on a (1 node checked).',
    );
    expect(plan.nodes.map((n) => [n.id, n.reserved.memoryMb, n.instanceCount])).toEqual([
      ['lost', 2 * GiB, 2],
      ['a', 4 * GiB, 3],
      ['b', 0, 0],
    ]);
  });

  it('plans the same moves for the same swarm, whatever the order of its instances', () => {
    const nodes = [node('lost', 32, 16, { state: 'down' }), ...['n3', 'n1', 'n2'].map((id) => node(id, 8, 4))];
    const instances = Array.from({ length: 9 }, (_, i) => ({
      id: `i${i}`,
      nodeId: 'lost',
      reservation: reserve(512 * (1 + (i % 3)), 500),
    }));
    const first = planFailover('lost', nodes, instances);
    const again = planFailover('lost', nodes, [...instances].reverse());
    expect(again.moves).toEqual(first.moves);
    expect(first.moves.map((m) => m.to)).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1', 'n2', 'n3']);
  });
});
