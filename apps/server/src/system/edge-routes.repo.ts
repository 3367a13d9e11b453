import { type SQL, sql } from 'drizzle-orm';
import { escapeLike } from '../auth/users.repo.js';
import type { DbOrTx } from '../db/client.js';
import { customDomains } from '../domains/domains.tables.js';
import type { RouteState } from '../edge/edge-router.js';
import { instances } from '../instances/instances.tables.js';

export interface EdgeRouteRow {
  host: string;
  kind: 'subdomain' | 'custom_domain';
  instanceId: string;
  slug: string;
  name: string;
  tenantId: string;
  state: RouteState;
}

export interface EdgeRoutesQuery {
  /** The instances' domain: subdomain hosts are `<slug>.<this>`. */
  instanceDomain: string;
  q?: string | undefined;
  state?: RouteState | undefined;
  limit: number;
  offset: number;
}

/**
 * Every host the edge routes, read from the same rows the edge's routes are built from (instance-edge.ts
 * routeFor): each instance not being deleted under its subdomain, plus its active custom domains.
 * The state repeats routeState (instance-context.ts) in SQL so it can be filtered and paged here;
 * test/integration/admin-system.test.ts checks the two agree.
 */
export class EdgeRoutesRepository {
  constructor(private readonly db: DbOrTx) {}

  async list(query: EdgeRoutesQuery): Promise<{ rows: EdgeRouteRow[]; total: number }> {
    const state = sql`CASE
      WHEN ${instances.suspended} AND ${instances.status} IN ('running', 'stopped', 'failed') THEN 'suspended'
      WHEN ${instances.status} = 'running' THEN 'active'
      WHEN ${instances.status} = 'stopped' THEN 'stopped'
      WHEN ${instances.status} = 'failed' THEN 'failed'
      ELSE 'provisioning' END`;
    const routed = sql`${instances.status} NOT IN ('deleting', 'deleted')`;
    const hosts = sql`
      SELECT ${instances.slug} || '.' || ${query.instanceDomain} AS host, 'subdomain' AS kind, ${instances.id} AS instance_id,
        ${instances.slug} AS slug, ${instances.name} AS name, ${instances.tenantId} AS tenant_id, ${state} AS state
      FROM ${instances} WHERE ${routed}
      UNION ALL
      SELECT ${customDomains.domain}, 'custom_domain', ${instances.id}, ${instances.slug}, ${instances.name}, ${instances.tenantId}, ${state}
      FROM ${customDomains} JOIN ${instances} ON ${instances.id} = ${customDomains.instanceId}
      WHERE ${customDomains.status} = 'active' AND ${routed}`;
    const filters: SQL[] = [];
    if (query.q) {
      const like = `%${escapeLike(query.q.toLowerCase())}%`;
      filters.push(sql`(r.host LIKE ${like} OR r.slug LIKE ${like} OR lower(r.name) LIKE ${like})`);
    }
    if (query.state) filters.push(sql`r.state = ${query.state}`);
    const where = filters.length ? sql`WHERE ${sql.join(filters, sql` AND `)}` : sql``;
    const [rows, counted] = await Promise.all([
      this.db.execute<{
        host: string;
        kind: EdgeRouteRow['kind'];
        instance_id: string;
        slug: string;
        name: string;
        tenant_id: string;
        state: RouteState;
      }>(sql`SELECT * FROM (${hosts}) r ${where} ORDER BY r.host LIMIT ${query.limit} OFFSET ${query.offset}`),
      this.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM (${hosts}) r ${where}`),
    ]);
    return {
      rows: rows.rows.map((r) => ({
        host: r.host,
        kind: r.kind,
        instanceId: r.instance_id,
        slug: r.slug,
        name: r.name,
        tenantId: r.tenant_id,
        state: r.state,
      })),
      total: counted.rows[0]?.n ?? 0,
    };
  }
}
