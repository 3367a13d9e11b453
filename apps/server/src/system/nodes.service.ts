import { ne } from 'drizzle-orm';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { unavailable } from '../errors/domain-error.js';
import { LABELS } from '../instances/instance-names.js';
import type { InstanceStatus } from '../instances/instances.repo.js';
import { instances } from '../instances/instances.tables.js';
import { type InstanceRuntime, RuntimeError, type RuntimeNode } from '../runtime/instance-runtime.js';

/** Instance statuses whose container holds its plan's memory and CPU on its node. */
const HOLDING = new Set<InstanceStatus>(['provisioning', 'running', 'deleting']);

export interface NodeInstance {
  id: string;
  slug: string;
  name: string;
  tenantId: string;
  status: InstanceStatus;
  limits: { memoryMb: number; cpuMillis: number };
}

export interface NodeView extends RuntimeNode {
  /** What the plans of the instances holding resources here add up to. */
  allocated: { memoryMb: number; cpuMillis: number };
  instances: NodeInstance[];
}

/**
 * The operators' view of the machines instances run on: each node's capacity, what the plans of its instances
 * take of it, and the instances themselves. Where an instance runs is the runtime's answer (its container's
 * node), else the node recorded when its container last started; on a single engine every instance is on the one node.
 */
export class NodesService {
  constructor(
    private readonly db: Db,
    private readonly runtime: InstanceRuntime,
    private readonly config: Pick<Config, 'resourcePrefix'>,
  ) {}

  async list(): Promise<{ nodes: NodeView[]; unplaced: NodeInstance[] }> {
    const [nodes, containers, rows] = await Promise.all([
      this.engine(() => this.runtime.listNodes()),
      this.engine(() => this.runtime.listManagedContainers({ [LABELS.platform]: this.config.resourcePrefix, [LABELS.role]: 'odoo' })),
      this.db
        .select({
          id: instances.id,
          slug: instances.slug,
          name: instances.name,
          tenantId: instances.tenantId,
          status: instances.status,
          limits: instances.limits,
          recordedNode: instances.nodeId,
        })
        .from(instances)
        .where(ne(instances.status, 'deleted'))
        .orderBy(instances.slug),
    ]);
    const single = nodes.length === 1 ? nodes[0]?.id : undefined;
    const nodeOf = new Map<string, string>();
    for (const c of containers) {
      const instanceId = c.labels[LABELS.instance];
      const nodeId = c.nodeId ?? single;
      if (instanceId && nodeId) nodeOf.set(instanceId, nodeId);
    }
    const views = new Map<string, NodeView>(
      nodes.map((n) => [n.id, { ...n, allocated: { memoryMb: 0, cpuMillis: 0 }, instances: [] as NodeInstance[] }]),
    );
    const unplaced: NodeInstance[] = [];
    for (const { recordedNode, ...row } of rows) {
      const item: NodeInstance = { ...row, limits: { memoryMb: row.limits.memoryMb, cpuMillis: row.limits.cpuMillis } };
      // Without a container now (being recreated, or its node away), the node it last ran on.
      const view = views.get(nodeOf.get(row.id) ?? recordedNode ?? '');
      if (!view) {
        unplaced.push(item);
        continue;
      }
      view.instances.push(item);
      if (HOLDING.has(row.status)) {
        view.allocated.memoryMb += item.limits.memoryMb;
        view.allocated.cpuMillis += item.limits.cpuMillis;
      }
    }
    return { nodes: [...views.values()], unplaced };
  }

  /** The engine away is the operator's problem to see, not a 500. */
  private async engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RuntimeError) throw unavailable('engine_unavailable', `The container engine did not answer: ${error.message}`);
      throw error;
    }
  }
}
