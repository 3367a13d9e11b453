import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { DomainsRepository } from '../domains/domains.repo.js';
import { EdgeInputError } from '../edge/edge-names.js';
import { EdgeConfigError, type EdgeRouter, EdgeSyncError, type InstanceRoute, type RouteState } from '../edge/edge-router.js';
import { instanceRoute, routeState } from './instance-context.js';
import { type InstanceRow, InstancesRepository } from './instances.repo.js';

/**
 * The instances' side of the edge: the route of an instance as the database describes it (its
 * subdomain plus its active custom domains), applied with failures recorded on the instance.
 */

export interface InstanceEdgeDeps {
  config: Config;
  database: { db: Db };
  edge: EdgeRouter;
  log: FastifyBaseLogger;
}

/** Errors of the edge that retrying the same route cannot fix: the input or the config nginx refuses. */
export const isEdgeRefusal = (error: unknown): error is EdgeInputError | EdgeConfigError =>
  error instanceof EdgeInputError || error instanceof EdgeConfigError;

export const edgeErrorText = (error: Error) => `The address could not be published at the edge: ${error.message}`;

/**
 * The instance's route: `<slug>.<base>` first, then its active custom domains, then `extraHosts`
 * (a domain about to become active: it is marked active only once the edge serves it).
 */
export async function routeFor(
  deps: Pick<InstanceEdgeDeps, 'config' | 'database'>,
  instance: InstanceRow,
  state?: RouteState,
  extraHosts: string[] = [],
) {
  const route = instanceRoute(deps.config, instance, state ?? routeState(instance));
  const domains = await new DomainsRepository(deps.database.db).activeHosts(instance.id);
  return { ...route, hosts: [...new Set([...route.hosts, ...domains, ...extraHosts])] } satisfies InstanceRoute;
}

/** Instances whose address the edge serves (a status page or Odoo): every one not being deleted. */
const routed = (instance: InstanceRow) => instance.status !== 'deleted' && instance.status !== 'deleting';

/**
 * Applies the instance's route. A route the edge refuses (bad input, config nginx rejects) is
 * recorded on the instance as `lastError` with nginx's own output and returned; the edge keeps the
 * last good config. Anything else (the edge lock, I/O) is thrown for the job to retry.
 */
export async function applyInstanceRoute(
  deps: InstanceEdgeDeps,
  instance: InstanceRow,
  state?: RouteState,
  extraHosts: string[] = [],
): Promise<Error | null> {
  try {
    await deps.edge.applyRoute(await routeFor(deps, instance, state, extraHosts));
    return null;
  } catch (error) {
    if (!isEdgeRefusal(error)) throw error;
    deps.log.error({ instanceId: instance.id, err: error.message }, 'edge refused the instance route');
    await new InstancesRepository(deps.database.db).update(instance.id, { lastError: edgeErrorText(error) });
    return error;
  }
}

/**
 * Rewrites every route from the database (API start-up, after a platform certificate changes).
 * Routes the edge refuses are left out by the router (keeping their last good file) and recorded
 * on their instances; the others are live.
 */
export async function syncInstanceRoutes(deps: InstanceEdgeDeps): Promise<{ routes: number; failed: number }> {
  const repo = new InstancesRepository(deps.database.db);
  const instances = (await repo.listLive()).filter(routed);
  const routes = await Promise.all(instances.map((i) => routeFor(deps, i)));
  try {
    await deps.edge.syncAll(routes);
    return { routes: routes.length, failed: 0 };
  } catch (error) {
    if (!(error instanceof EdgeSyncError)) throw error;
    for (const { instanceId, error: cause } of error.failed) {
      deps.log.error({ instanceId, err: cause.message }, 'edge refused the instance route at sync');
      await repo.update(instanceId, { lastError: edgeErrorText(cause) });
    }
    return { routes: routes.length, failed: error.failed.length };
  }
}
