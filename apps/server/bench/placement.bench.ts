/**
 * Placement simulation (not a test; pure code, no engine): instances arriving over a swarm of mixed node
 * sizes, placed by `chooseNode`, with departures, node failures (re-placed by `planFailover`, the node back
 * empty later) and drains (`planDrain`). Reports memory and CPU utilisation over time and per node size, the
 * spread of per-node memory utilisation, the moves per failure and per drain, refusals and the run time.
 * Seeded: the same settings give the same numbers. Runs each scenario (how much of a plan's CPU is reserved).
 *
 *   npm run bench:placement -w @saas/server
 *   BENCH_SEED=1 BENCH_INSTANCES=10000 BENCH_STEPS=1000 BENCH_LOAD=0.85 BENCH_FAILURES=10 BENCH_OUT=file.json ...
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  chooseNode,
  type MovePlan,
  type NodeConstraint,
  type PlacedInstance,
  planDrain,
  planFailover,
  type Resources,
  type SwarmNode,
} from '../src/runtime/swarm/placement.js';

const SEED = Number(process.env.BENCH_SEED ?? 20261202);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const STEPS = Number(process.env.BENCH_STEPS ?? 1000);
/** Demand at steady state, as a share of the swarm's memory: sets the mean lifetime of an instance. */
const LOAD = Number(process.env.BENCH_LOAD ?? 0.85);
const FAILURES = Number(process.env.BENCH_FAILURES ?? 10);
/** Steps a lost node stays away, and a drained node in maintenance. */
const REPAIR_STEPS = Number(process.env.BENCH_REPAIR_STEPS ?? 24);
const DRAIN_AT = [500, 800];
const SAMPLE_EVERY = 10;
/** Samples from this step on are the steady state (the ramp-up is about three mean lifetimes). */
const STEADY_FROM = Math.round(STEPS * 0.4);
const OUT = process.env.BENCH_OUT ?? 'bench-placement.json';
/** Memory each node keeps for the OS, the engine and the platform's agents: not offered to instances. */
const SYSTEM_RESERVE_MB = 1024;

/** mulberry32: a tiny seeded PRNG, so that a run can be repeated exactly. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const GOLD: NodeConstraint[] = [{ key: 'node.labels.tier', op: '==', value: 'gold' }];
const NOT_GOLD: NodeConstraint[] = [{ key: 'node.labels.tier', op: '!=', value: 'gold' }];

/** Node sizes (GiB, cores: 2 GiB a core) and how many of each; `gold` of them carry the label tier=gold. */
const NODE_MIX = [
  { memoryGiB: 8, cores: 4, count: 16, gold: 0 },
  { memoryGiB: 16, cores: 8, count: 16, gold: 0 },
  { memoryGiB: 32, cores: 16, count: 12, gold: 4 },
  { memoryGiB: 64, cores: 32, count: 6, gold: 2 },
];

/**
 * Plans as sold (memory limit, CPU limit), with their share of sign-ups. The memory reservation is the plan's
 * limit, never the ~103 MiB an idle threaded Odoo uses: Odoo grows with use and memory cannot be taken back.
 * Trials stay off the gold nodes; the gold plan runs only there.
 */
const PLANS = [
  { name: 'trial 512 MiB threaded', memoryMb: 512, cpuMillis: 500, share: 0.25, constraints: NOT_GOLD },
  { name: '512 MiB threaded', memoryMb: 512, cpuMillis: 500, share: 0.3, constraints: [] },
  { name: '1 GiB, 2 workers', memoryMb: 1024, cpuMillis: 1000, share: 0.3, constraints: [] },
  { name: '2 GiB, 4 workers', memoryMb: 2048, cpuMillis: 2000, share: 0.12, constraints: [] },
  { name: 'gold 4 GiB', memoryMb: 4096, cpuMillis: 2000, share: 0.03, constraints: GOLD },
];

/** Scenarios: the share of the plan's CPU limit reserved (memory is always reserved in full). */
const SCENARIOS = [
  { name: 'CPU reserved at the plan limit', cpuReserveShare: 1 },
  { name: 'CPU reserved at half the plan limit', cpuReserveShare: 0.5 },
];

interface SimInstance extends PlacedInstance {
  plan: number;
  departAt: number;
  /** Step it lost its node (failover leftover) and waits for room, or null. */
  waitingSince: number | null;
}

interface Event {
  kind: 'failover' | 'drain';
  step: number;
  node: string;
  nodeMemoryGiB: number;
  moved: number;
  movedMiB: number;
  leftovers: number;
  planMs: number;
  /** Steps until the last leftover of a failover found a node (null: none left over, or never). */
  waitedSteps?: number | null;
}

function makeNodes(): SwarmNode[] {
  const nodes: SwarmNode[] = [];
  for (const size of NODE_MIX) {
    for (let i = 0; i < size.count; i++) {
      nodes.push({
        id: `n${String(nodes.length + 1).padStart(2, '0')}-${size.memoryGiB}g`,
        labels: i < size.gold ? { tier: 'gold' } : {},
        availability: 'active',
        state: 'ready',
        capacity: { memoryMb: size.memoryGiB * 1024 - SYSTEM_RESERVE_MB, cpuMillis: size.cores * 1000 },
        reserved: { memoryMb: 0, cpuMillis: 0 },
        instanceCount: 0,
      });
    }
  }
  return nodes;
}

const inService = (n: SwarmNode) => n.availability === 'active' && n.state === 'ready';

/** Utilisation of the nodes in service: overall, per node size, and the spread of per-node memory utilisation. */
function measure(nodes: SwarmNode[]) {
  const live = nodes.filter(inService);
  const sum = (pick: (n: SwarmNode) => number, of = live) => of.reduce((s, n) => s + pick(n), 0);
  const shares = live.map((n) => n.reserved.memoryMb / n.capacity.memoryMb);
  const mean = shares.reduce((s, x) => s + x, 0) / (shares.length || 1);
  const variance = shares.reduce((s, x) => s + (x - mean) ** 2, 0) / (shares.length || 1);
  const bySize: Record<string, number> = {};
  for (const { memoryGiB } of NODE_MIX) {
    const of = live.filter((n) => n.capacity.memoryMb === memoryGiB * 1024 - SYSTEM_RESERVE_MB);
    bySize[`${memoryGiB}GiB`] = round(sum((n) => n.reserved.memoryMb, of) / (sum((n) => n.capacity.memoryMb, of) || 1));
  }
  return {
    memory: round(sum((n) => n.reserved.memoryMb) / sum((n) => n.capacity.memoryMb)),
    cpu: round(sum((n) => n.reserved.cpuMillis) / sum((n) => n.capacity.cpuMillis)),
    memoryBySize: bySize,
    spreadStdDev: round(Math.sqrt(variance)),
    spreadRange: round(Math.max(...shares) - Math.min(...shares)),
  };
}

function simulate(scenario: (typeof SCENARIOS)[number]) {
  const random = mulberry32(SEED);
  const nodes = makeNodes();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const onNode = new Map(nodes.map((n) => [n.id, new Set<SimInstance>()]));
  const capacityMb = nodes.reduce((s, n) => s + n.capacity.memoryMb, 0);
  const meanMemoryMb = PLANS.reduce((s, p) => s + p.share * p.memoryMb, 0);
  const arrivalsPerStep = INSTANCES / STEPS;
  const meanLifetime = (LOAD * capacityMb) / (arrivalsPerStep * meanMemoryMb);

  const departures = new Map<number, SimInstance[]>();
  const waiting: SimInstance[] = [];
  const events: Event[] = [];
  const samples: ({ step: number; instances: number; waiting: number } & ReturnType<typeof measure>)[] = [];
  const refusals: Record<string, number> = {};
  const refusedByPlan: Record<string, number> = {};
  const returns = new Map<number, SwarmNode[]>();
  // Failures at distinct random steps, after the first hundred (an empty swarm has nothing to move).
  const failureSteps = new Set<number>();
  while (failureSteps.size < FAILURES) failureSteps.add(100 + Math.floor(random() * (STEPS - 100)));
  let live = 0;
  let placements = 0;
  let placementMs = 0;
  let nextId = 0;

  const add = (inst: SimInstance, node: SwarmNode) => {
    inst.nodeId = node.id;
    node.reserved.memoryMb += inst.reservation.memoryMb;
    node.reserved.cpuMillis += inst.reservation.cpuMillis;
    node.instanceCount++;
    onNode.get(node.id)?.add(inst);
  };
  const remove = (inst: SimInstance) => {
    const node = byId.get(inst.nodeId);
    if (!node || !onNode.get(node.id)?.delete(inst)) return;
    node.reserved.memoryMb -= inst.reservation.memoryMb;
    node.reserved.cpuMillis -= inst.reservation.cpuMillis;
    node.instanceCount--;
  };
  const place = (inst: SimInstance) => {
    const started = performance.now();
    const decision = chooseNode(nodes, { reservation: inst.reservation, constraints: inst.constraints });
    placementMs += performance.now() - started;
    placements++;
    if (decision.placed) add(inst, decision.node);
    return decision;
  };
  /** Makes a plan's moves in the simulation; leftovers of a lost node wait for room, a drained node keeps its own. */
  const apply = (plan: MovePlan, step: number) => {
    const source = byId.get(plan.nodeId) as SwarmNode;
    const leaving = new Map([...(onNode.get(source.id) ?? [])].map((i) => [i.id, i]));
    for (const move of plan.moves) {
      const inst = leaving.get(move.instanceId) as SimInstance;
      remove(inst);
      add(inst, byId.get(move.to) as SwarmNode);
    }
    if (plan.kind === 'failover') {
      for (const left of plan.leftovers) {
        const inst = leaving.get(left.instanceId) as SimInstance;
        remove(inst);
        inst.waitingSince = step;
        waiting.push(inst);
      }
    }
  };

  const started = performance.now();
  for (let step = 0; step < STEPS; step++) {
    for (const node of returns.get(step) ?? []) {
      // Back from repair or maintenance: a lost node comes back empty (its instances were restored elsewhere).
      node.state = 'ready';
      node.availability = 'active';
    }
    for (const inst of departures.get(step) ?? []) {
      const at = waiting.indexOf(inst);
      if (at >= 0) waiting.splice(at, 1);
      else remove(inst);
      live--;
    }
    departures.delete(step);

    if (failureSteps.has(step)) {
      const candidates = nodes.filter((n) => n.state === 'ready');
      const lost = candidates[Math.floor(random() * candidates.length)] as SwarmNode;
      lost.state = 'down';
      const t = performance.now();
      const plan = planFailover(lost.id, nodes, [...(onNode.get(lost.id) ?? [])]);
      const planMs = performance.now() - t;
      apply(plan, step);
      events.push(eventOf(plan, step, lost, planMs));
      returns.set(step + REPAIR_STEPS, [...(returns.get(step + REPAIR_STEPS) ?? []), lost]);
    }
    if (DRAIN_AT.includes(step)) {
      // The first drain takes the fullest node in service (the worst case), the second one at random.
      const candidates = nodes.filter(inService);
      const node =
        step === DRAIN_AT[0]
          ? (candidates.reduce((a, b) => (b.reserved.memoryMb > a.reserved.memoryMb ? b : a)) as SwarmNode)
          : (candidates[Math.floor(random() * candidates.length)] as SwarmNode);
      node.availability = 'drain';
      const t = performance.now();
      const plan = planDrain(node.id, nodes, [...(onNode.get(node.id) ?? [])]);
      const planMs = performance.now() - t;
      apply(plan, step);
      events.push(eventOf(plan, step, node, planMs));
      returns.set(step + REPAIR_STEPS, [...(returns.get(step + REPAIR_STEPS) ?? []), node]);
    }

    // Those waiting since a failure go first, largest first, as planFailover would order them.
    waiting.sort((a, b) => b.reservation.memoryMb - a.reservation.memoryMb || (a.id < b.id ? -1 : 1));
    for (const inst of [...waiting]) {
      if (!place(inst).placed) continue;
      waiting.splice(waiting.indexOf(inst), 1);
      const event = events.findLast((e) => e.kind === 'failover' && e.step === inst.waitingSince);
      if (event) event.waitedSteps = Math.max(event.waitedSteps ?? 0, step - (inst.waitingSince ?? step));
      inst.waitingSince = null;
    }

    const arriving = Math.floor((step + 1) * arrivalsPerStep) - Math.floor(step * arrivalsPerStep);
    for (let a = 0; a < arriving; a++) {
      const planIndex = pickPlan(random());
      const plan = PLANS[planIndex] as (typeof PLANS)[number];
      const inst: SimInstance = {
        id: `i${String(nextId++).padStart(5, '0')}`,
        nodeId: '',
        reservation: { memoryMb: plan.memoryMb, cpuMillis: Math.round(plan.cpuMillis * scenario.cpuReserveShare) },
        constraints: plan.constraints,
        plan: planIndex,
        departAt: step + 1 + Math.floor(-meanLifetime * Math.log(1 - random())),
        waitingSince: null,
      };
      const decision = place(inst);
      if (!decision.placed) {
        refusals[decision.refusal.code] = (refusals[decision.refusal.code] ?? 0) + 1;
        refusedByPlan[plan.name] = (refusedByPlan[plan.name] ?? 0) + 1;
        continue;
      }
      live++;
      if (inst.departAt < STEPS) departures.set(inst.departAt, [...(departures.get(inst.departAt) ?? []), inst]);
    }

    if ((step + 1) % SAMPLE_EVERY === 0) samples.push({ step: step + 1, instances: live, waiting: waiting.length, ...measure(nodes) });
  }
  const runMs = performance.now() - started;
  checkBooks(nodes, onNode);

  const steady = samples.filter((s) => s.step > STEADY_FROM);
  const avg = (pick: (s: (typeof samples)[number]) => number) => round(steady.reduce((t, s) => t + pick(s), 0) / steady.length);
  const failovers = events.filter((e) => e.kind === 'failover');
  const totals = (of: Event[]) => ({
    count: of.length,
    movedPerEvent: round(of.reduce((s, e) => s + e.moved, 0) / (of.length || 1), 1),
    movedMiBPerEvent: Math.round(of.reduce((s, e) => s + e.movedMiB, 0) / (of.length || 1)),
    leftovers: of.reduce((s, e) => s + e.leftovers, 0),
    maxPlanMs: round(Math.max(0, ...of.map((e) => e.planMs))),
  });
  return {
    scenario: scenario.name,
    cpuReserveShare: scenario.cpuReserveShare,
    meanLifetimeSteps: round(meanLifetime, 1),
    arrivals: nextId,
    placed: nextId - Object.values(refusals).reduce((s, n) => s + n, 0),
    refusals,
    refusedByPlan,
    final: { step: STEPS, instances: live, waiting: waiting.length, ...measure(nodes) },
    steady: {
      fromStep: STEADY_FROM,
      memory: avg((s) => s.memory),
      cpu: avg((s) => s.cpu),
      memoryBySize: Object.fromEntries(NODE_MIX.map(({ memoryGiB: g }) => [`${g}GiB`, avg((s) => s.memoryBySize[`${g}GiB`] ?? 0)])),
      spreadStdDev: avg((s) => s.spreadStdDev),
      spreadRangeMax: round(Math.max(...steady.map((s) => s.spreadRange))),
      spreadRange: avg((s) => s.spreadRange),
    },
    failovers: totals(failovers),
    drains: totals(events.filter((e) => e.kind === 'drain')),
    events,
    placements,
    microsecondsPerPlacement: round((placementMs * 1000) / placements, 2),
    runSeconds: round(runMs / 1000),
    samples,
  };
}

function eventOf(plan: MovePlan, step: number, node: SwarmNode, planMs: number): Event {
  return {
    kind: plan.kind,
    step,
    node: node.id,
    nodeMemoryGiB: (node.capacity.memoryMb + SYSTEM_RESERVE_MB) / 1024,
    moved: plan.moves.length,
    movedMiB: plan.moves.reduce((s, m) => s + m.reservation.memoryMb, 0),
    leftovers: plan.leftovers.length,
    planMs: round(planMs),
    ...(plan.kind === 'failover' ? { waitedSteps: null } : {}),
  };
}

function pickPlan(u: number): number {
  let acc = 0;
  for (const [i, p] of PLANS.entries()) {
    acc += p.share;
    if (u < acc) return i;
  }
  return PLANS.length - 1;
}

/** The simulation's own books must agree with the nodes' reservations, and no node may be over capacity. */
function checkBooks(nodes: SwarmNode[], onNode: Map<string, Set<SimInstance>>) {
  for (const node of nodes) {
    const held = [...(onNode.get(node.id) ?? [])];
    const sum = (pick: (r: Resources) => number) => held.reduce((s, i) => s + pick(i.reservation), 0);
    if (sum((r) => r.memoryMb) !== node.reserved.memoryMb || sum((r) => r.cpuMillis) !== node.reserved.cpuMillis) {
      throw new Error(`books disagree on ${node.id}`);
    }
    if (node.reserved.memoryMb > node.capacity.memoryMb || node.reserved.cpuMillis > node.capacity.cpuMillis) {
      throw new Error(`${node.id} is over capacity`);
    }
  }
}

const started = performance.now();
const scenarios = SCENARIOS.map(simulate);
const report = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  settings: {
    seed: SEED,
    instances: INSTANCES,
    steps: STEPS,
    load: LOAD,
    failures: FAILURES,
    repairSteps: REPAIR_STEPS,
    drainAt: DRAIN_AT,
  },
  nodes: NODE_MIX.map((s) => ({ ...s, capacityMb: s.memoryGiB * 1024 - SYSTEM_RESERVE_MB })),
  plans: PLANS.map(({ constraints, ...p }) => ({ ...p, constraints: constraints.map((c) => `${c.key}${c.op}${c.value}`) })),
  runSeconds: round((performance.now() - started) / 1000),
  scenarios,
};
writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
for (const s of scenarios) {
  const { samples: _samples, events, ...summary } = s;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  for (const e of events) process.stdout.write(`  ${JSON.stringify(e)}\n`);
}
