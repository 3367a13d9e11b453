import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { type EgressReport, type EgressStatePublisher, HOST_EGRESS_NODE } from '../runtime/egress-policy.js';
import type { RuntimeNode } from '../runtime/instance-runtime.js';
import type { nodeEgressSchema } from './system-admin.schemas.js';

/** The egress policy on one node, as the Nodes page shows it. */
export type NodeEgress = z.infer<typeof nodeEgressSchema>;

/** Where the Nodes page reads each node's state (the API's side of EgressStates). */
export interface NodeEgressSource {
  forNodes(nodes: RuntimeNode[]): Promise<Map<string, NodeEgress>>;
}

type EgressStatesConfig = Pick<Config, 'queuePrefix' | 'egressPolicy' | 'runtime' | 'reconcileIntervalSeconds'>;

/** How long a machine's report stands without a newer one: three reconciler runs, a minute at least. */
export function egressStateTtlMs(config: Pick<Config, 'reconcileIntervalSeconds'>): number {
  return Math.max(60, 3 * config.reconcileIntervalSeconds) * 1000;
}

const REPORTED = new Set<string>(['applied', 'failed', 'skipped'] satisfies EgressReport['state'][]);

/**
 * The egress policy's state per machine, from the worker (which publishes each machine's result after every apply:
 * at its start and on each reconciler run) to the API (the admin's Nodes page). One Redis key per machine under the
 * platform's queue prefix, with a TTL of a few reconciler runs: a node the worker no longer checks (down, out of
 * SWARM_NODE_ENGINES, no worker running) falls back to `unknown` by itself instead of showing an old `applied`.
 * On one engine the worker's host stands for the engine's node (HOST_EGRESS_NODE).
 */
export class EgressStates implements EgressStatePublisher, NodeEgressSource {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly config: EgressStatesConfig,
    options: { ttlMs?: number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? egressStateTtlMs(config);
  }

  private key(nodeId: string) {
    return `${this.config.queuePrefix}:egress-node:${nodeId}`;
  }

  async publish(reports: EgressReport[]): Promise<void> {
    if (reports.length === 0) return;
    const multi = this.redis.multi();
    for (const report of reports) multi.set(this.key(report.nodeId), JSON.stringify(report), 'PX', this.ttlMs);
    await multi.exec();
  }

  /** Each node's state by node id: `off` from the configuration, else its latest report, else `unknown` with the likely cause. */
  async forNodes(nodes: RuntimeNode[]): Promise<Map<string, NodeEgress>> {
    if (!this.config.egressPolicy) return new Map(nodes.map((n) => [n.id, { state: 'off', reason: 'EGRESS_POLICY=off', checkedAt: null }]));
    const keyOf = (n: RuntimeNode) => (n.role === 'standalone' ? HOST_EGRESS_NODE : n.id);
    let values: (string | null)[];
    let unreadable: string | null = null;
    try {
      values = nodes.length ? await this.redis.mget(nodes.map((n) => this.key(keyOf(n)))) : [];
    } catch (err) {
      // The nodes stay visible with Redis away; only their policy's state is not known.
      values = nodes.map(() => null);
      unreadable = `Redis did not answer: ${err instanceof Error ? err.message : String(err)}`;
    }
    return new Map(nodes.map((node, i) => [node.id, this.view(node, values[i] ?? null, unreadable)]));
  }

  private view(node: RuntimeNode, value: string | null, unreadable: string | null): NodeEgress {
    const report = parseReport(value);
    if (report) return { state: report.state, reason: report.reason, checkedAt: report.checkedAt };
    return { state: 'unknown', reason: unreadable ?? this.unknownReason(node), checkedAt: null };
  }

  private unknownReason(node: RuntimeNode): string {
    const { runtime } = this.config;
    if (runtime.driver === 'swarm' && !Object.hasOwn(runtime.nodeEngines, node.name))
      return 'Not in SWARM_NODE_ENGINES: the worker has no way to this node’s engine, and does not apply the policy there.';
    if (node.state === 'down') return 'The node is down: the worker checks it again once it is back.';
    return `No worker has checked it in the last ${Math.round(this.ttlMs / 1000)} s (each reconciler run does): is a worker running?`;
  }
}

function parseReport(value: string | null): EgressReport | null {
  if (!value) return null;
  try {
    const report = JSON.parse(value) as EgressReport;
    return REPORTED.has(report.state) && typeof report.checkedAt === 'string' ? { ...report, reason: report.reason ?? null } : null;
  } catch {
    return null;
  }
}
