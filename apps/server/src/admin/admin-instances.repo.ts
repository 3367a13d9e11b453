import { and, asc, count, desc, eq, ilike, ne, type SQL, sql } from 'drizzle-orm';
import { escapeLike } from '../auth/users.repo.js';
import type { DbOrTx } from '../db/client.js';
import type { InstanceStatus } from '../instances/instances.repo.js';
import { instances, reconcileRuns } from '../instances/instances.tables.js';
import { tenants } from '../tenants/tenants.tables.js';

export const INSTANCE_SORTS = ['created', 'slug', 'status', 'version', 'tenant'] as const;
export type InstanceSort = (typeof INSTANCE_SORTS)[number];

export interface InstanceListQuery {
  limit: number;
  offset: number;
  status?: InstanceStatus | undefined;
  tenantId?: string | undefined;
  version?: string | undefined;
  /** Part of the slug. */
  q?: string | undefined;
  sort?: InstanceSort | undefined;
  order?: 'asc' | 'desc' | undefined;
}

/** The operators' queries over instances of every tenant. */
export class AdminInstancesRepository {
  constructor(private readonly db: DbOrTx) {}

  async list(query: InstanceListQuery) {
    // Deleted instances only when asked for by status: the list is of what exists.
    const filters: SQL[] = [query.status ? eq(instances.status, query.status) : ne(instances.status, 'deleted')];
    if (query.tenantId) filters.push(eq(instances.tenantId, query.tenantId));
    if (query.version) filters.push(eq(instances.version, query.version));
    if (query.q) filters.push(ilike(instances.slug, `%${escapeLike(query.q)}%`));
    const where = and(...filters);
    const direction = query.order === 'asc' ? asc : desc;
    const column = {
      created: instances.createdAt,
      slug: instances.slug,
      status: instances.status,
      version: instances.version,
      tenant: tenants.name,
    }[query.sort ?? 'created'];
    const [rows, [total]] = await Promise.all([
      this.db
        .select({ instance: instances, tenantName: tenants.name })
        .from(instances)
        .innerJoin(tenants, eq(tenants.id, instances.tenantId))
        .where(where)
        // The id breaks ties, so pages never repeat or skip an instance.
        .orderBy(direction(column), direction(instances.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ n: count() }).from(instances).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }

  /** An instance (deleted ones too: their history stays readable) with its tenant's name. */
  find(id: string) {
    return this.db
      .select({ instance: instances, tenantName: tenants.name })
      .from(instances)
      .innerJoin(tenants, eq(tenants.id, instances.tenantId))
      .where(eq(instances.id, id))
      .then((rows) => rows[0] ?? null);
  }

  /** What the reconciler found about this instance, newest pass first. */
  async findings(id: string, limit: number) {
    const runs = await this.db
      .select({ runId: reconcileRuns.id, at: reconcileRuns.startedAt, findings: reconcileRuns.findings })
      .from(reconcileRuns)
      .where(sql`${reconcileRuns.findings} @> ${JSON.stringify([{ target: id }])}::jsonb`)
      .orderBy(desc(reconcileRuns.startedAt))
      .limit(limit);
    return runs.flatMap((run) =>
      run.findings.filter((f) => f.target === id).map((f) => ({ runId: run.runId, at: run.at.toISOString(), ...f })),
    );
  }
}
