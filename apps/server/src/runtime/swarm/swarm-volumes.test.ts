import { describe, expect, it } from 'vitest';
import type { RuntimeNode } from '../instance-runtime.js';
import type { SwarmNode } from './placement.js';
import {
  addPending,
  MOVED_FROM_LABEL,
  movedCopy,
  PENDING_PLACEMENT_MS,
  RESERVE_CPU_LABEL,
  RESERVE_MEMORY_LABEL,
  reservationOf,
  type VolumeCopy,
} from './swarm-volumes.js';

const fallback = { memoryMb: 1024, cpuMillis: 500 };

describe('reservationOf', () => {
  it('reads the labels, falling back for missing or invalid ones', () => {
    expect(reservationOf({ [RESERVE_MEMORY_LABEL]: '2048', [RESERVE_CPU_LABEL]: '1500' }, fallback)).toEqual({
      memoryMb: 2048,
      cpuMillis: 1500,
    });
    expect(reservationOf({ [RESERVE_MEMORY_LABEL]: '-1', [RESERVE_CPU_LABEL]: 'x' }, fallback)).toEqual(fallback);
    expect(reservationOf({}, fallback)).toEqual(fallback);
  });
});

describe('addPending', () => {
  const node = (id: string): SwarmNode => ({
    id,
    labels: {},
    availability: 'active',
    state: 'ready',
    capacity: { memoryMb: 8192, cpuMillis: 4000 },
    reserved: { memoryMb: 0, cpuMillis: 0 },
    instanceCount: 0,
  });
  const now = 1_000_000_000;
  const placed = (nodeId: string, at = now) => ({ nodeId, reservation: { memoryMb: 512, cpuMillis: 250 }, at });

  it('counts volumes placed without a service yet, and forgets mounted or stale ones', () => {
    const nodes = [node('n1'), node('n2')];
    const pending = new Map([
      ['v-new', placed('n1')],
      ['v-mounted', placed('n2')],
      ['v-old', placed('n2', now - PENDING_PLACEMENT_MS - 1)],
    ]);
    const service = {
      ID: 's',
      Spec: { TaskTemplate: { ContainerSpec: { Mounts: [{ Type: 'volume' as const, Source: 'v-mounted', Target: '/d' }] } } },
    };
    addPending(nodes, pending, [service], now);
    expect(nodes.map((n) => [n.id, n.reserved.memoryMb, n.instanceCount])).toEqual([
      ['n1', 512, 1],
      ['n2', 0, 0],
    ]);
    expect([...pending.keys()]).toEqual(['v-new']);
  });
});

describe('movedCopy', () => {
  const copy = (id: string, labels: Record<string, string> = {}): VolumeCopy => ({
    node: { id, name: `host-${id}` } as RuntimeNode,
    labels,
  });

  it('takes the copy a move made from the other node, whichever order the nodes answer in', () => {
    const original = copy('n1');
    const moved = copy('n2', { [MOVED_FROM_LABEL]: 'n1' });
    expect(movedCopy('v', [original, moved])).toBe(moved);
    expect(movedCopy('v', [moved, original])).toBe(moved);
  });

  it('refuses two copies without a move between them, a copy naming a third node, and three copies', () => {
    expect(() => movedCopy('v', [copy('n1'), copy('n2')])).toThrow(/several nodes \(host-n1, host-n2\)/);
    expect(() => movedCopy('v', [copy('n1'), copy('n2', { [MOVED_FROM_LABEL]: 'n3' })])).toThrow(/several nodes/);
    expect(() => movedCopy('v', [copy('n1', { [MOVED_FROM_LABEL]: 'n2' }), copy('n2', { [MOVED_FROM_LABEL]: 'n1' })])).toThrow(
      /several nodes/,
    );
    expect(() => movedCopy('v', [copy('n1'), copy('n2', { [MOVED_FROM_LABEL]: 'n1' }), copy('n3')])).toThrow(/several nodes/);
  });
});
