import { describe, expect, it } from 'vitest';
import type { RuntimeNode } from '../runtime/instance-runtime.js';
import { lostNodes } from './node-loss.js';

const node = (id: string, over: Partial<RuntimeNode> = {}): RuntimeNode => ({
  id,
  name: `lab-${id}`,
  address: '10.0.0.1',
  role: 'worker',
  availability: 'active',
  state: 'ready',
  downSince: null,
  capacity: { memoryMb: 4096, cpuMillis: 2000 },
  labels: {},
  engineVersion: '27.0',
  ...over,
});

const GRACE = 60_000;
const T0 = Date.parse('2026-12-03T02:00:00.000Z');

describe('lostNodes: a node down past the grace period is lost', () => {
  it('counts the grace period from when Swarm recorded the node down', () => {
    const seen = new Map<string, number>();
    const down = node('b', { state: 'down', downSince: new Date(T0).toISOString() });
    expect(lostNodes([node('a'), down], T0 + GRACE, GRACE, seen)).toEqual([]);
    const lost = lostNodes([node('a'), down], T0 + GRACE + 1, GRACE, seen);
    expect(lost.map((l) => l.node.id)).toEqual(['b']);
    // The loss is dated when the node went down, not when the check noticed: the RPO counts from there.
    expect(lost[0]?.lostAt.getTime()).toBe(T0);
  });

  it('gives the same loss on every pass, so it is recorded once', () => {
    const seen = new Map<string, number>();
    const down = node('b', { state: 'down', downSince: new Date(T0).toISOString() });
    const first = lostNodes([down], T0 + 2 * GRACE, GRACE, seen);
    const later = lostNodes([down], T0 + 5 * GRACE, GRACE, seen);
    expect(later.map((l) => l.lostAt.toISOString())).toEqual(first.map((l) => l.lostAt.toISOString()));
  });

  it('without a recorded time, counts from when this process first saw the node down, and forgets a node that returns', () => {
    const seen = new Map<string, number>();
    const down = node('b', { state: 'down', downSince: null });
    expect(lostNodes([down], T0, GRACE, seen)).toEqual([]);
    expect(lostNodes([down], T0 + GRACE, GRACE, seen)).toEqual([]);
    expect(lostNodes([down], T0 + GRACE + 1, GRACE, seen)[0]?.lostAt.getTime()).toBe(T0);
    // Back within the grace period of a later outage: the clock starts again.
    expect(lostNodes([node('b')], T0 + 2 * GRACE, GRACE, seen)).toEqual([]);
    expect(seen.has('b')).toBe(false);
    expect(lostNodes([down], T0 + 3 * GRACE, GRACE, seen)).toEqual([]);
    expect(lostNodes([down], T0 + 4 * GRACE + 1, GRACE, seen)[0]?.lostAt.getTime()).toBe(T0 + 3 * GRACE);
  });

  it('never calls a ready node or a single engine lost', () => {
    const seen = new Map<string, number>();
    const standalone = node('e', { role: 'standalone', state: 'down', downSince: new Date(T0).toISOString() });
    expect(lostNodes([node('a', { downSince: new Date(T0).toISOString() }), standalone], T0 + 10 * GRACE, GRACE, seen)).toEqual([]);
  });
});
