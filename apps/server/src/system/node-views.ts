import { inArray, ne } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../db/client.js';
import { unavailable } from '../errors/domain-error.js';
import type { InstanceMoveRow } from '../instances/instance-moves.repo.js';
import { LABELS } from '../instances/instance-names.js';
import type { InstanceStatus } from '../instances/instances.repo.js';
import { instances } from '../instances/instances.tables.js';
import { type InstanceRuntime, RuntimeError, type RuntimeNode } from '../runtime/instance-runtime.js';
import type { SwarmNode } from '../runtime/swarm/placement.js';
import type { instanceMoveSchema } from './system-admin.schemas.js';

/** Instance statuses whose container holds its plan's memory and CPU on its node. */
export const HOLDING = new Set<InstanceStatus>(['provisioning', 'running', 'deleting']);

export interface NodeInstance {
  id: string;
  slug: string;
  name: string;
  tenantId: string;
  status: InstanceStatus;
  limits: { memoryMb: number; cpuMillis: number };
}

export interface NodeView extends RuntimeNode {
  downSince: string | null;
  /** What the plans of the instances holding resources here add up to. */
  allocated: { memoryMb: number; cpuMillis: number };
  instances: NodeInstance[];
}

export type MoveView = z.infer<typeof instanceMoveSchema>;

/** A node as placement sees it: what its instances' plans hold (a copy: a plan may add to it), and how many. */
export const toSwarmNode = (n: NodeView): SwarmNode => ({
  id: n.id,
  labels: n.labels,
  availability: n.availability,
  state: n.state,
  capacity: n.capacity,
  reserved: { ...n.allocated },
  instanceCount: n.instances.length,
});

/** The engine away is the operator's problem to see, not a 500. */
export async function askEngine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RuntimeError) throw unavailable('engine_unavailable', `The container engine did not answer: ${error.message}`);
    throw error;
  }
}

/**
 * Every node with the instances on it, and the instances on none of them. Where an instance runs is the runtime's
 * answer (its container's node), else the node recorded when its container last started; on a single engine every
 * instance is on the one node.
 */
export async function placedInstances(
  db: Db,
  runtime: InstanceRuntime,
  resourcePrefix: string,
): Promise<{ nodes: NodeView[]; unplaced: NodeInstance[] }> {
  const [nodes, containers, rows] = await Promise.all([
    askEngine(() => runtime.listNodes()),
    askEngine(() => runtime.listManagedContainers({ [LABELS.platform]: resourcePrefix, [LABELS.role]: 'odoo' })),
    db
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
    nodes.map((n) => [
      n.id,
      { ...n, downSince: n.downSince ?? null, allocated: { memoryMb: 0, cpuMillis: 0 }, instances: [] as NodeInstance[] },
    ]),
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

/** Move rows as the API shows them, with each instance's slug. */
export async function moveViews(db: Db, rows: InstanceMoveRow[]): Promise<MoveView[]> {
  const ids = [...new Set(rows.map((r) => r.instanceId))];
  const slugs = ids.length
    ? new Map(
        (await db.select({ id: instances.id, slug: instances.slug }).from(instances).where(inArray(instances.id, ids))).map((r) => [
          r.id,
          r.slug,
        ]),
      )
    : new Map<string, string>();
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return rows.map((r) => ({
    id: r.id,
    instanceId: r.instanceId,
    slug: slugs.get(r.instanceId) ?? null,
    kind: r.kind,
    fromNodeId: r.fromNodeId,
    fromNodeName: r.fromNodeName,
    toNodeId: r.toNodeId,
    toNodeName: r.toNodeName,
    status: r.status,
    reason: r.reason,
    error: r.error,
    backupId: r.backupId,
    backupAt: iso(r.backupAt),
    lostAt: iso(r.lostAt),
    rpoSeconds: r.rpoSeconds,
    createdAt: r.createdAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  }));
}
