import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { decrypt, secretContext } from '../auth/secrets.js';
import type { BackupStorage } from '../backups/storage/backup-storage.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import type { EdgeRouter, InstanceRoute, RouteState } from '../edge/edge-router.js';
import type { ContainerInfo, InstanceRuntime } from '../runtime/instance-runtime.js';
import type { TenantDbServer } from '../tenant-db/tenant-db-server.js';
import { instanceNames, LABELS, slotPorts, slotSubnet, upstreamHost } from './instance-names.js';
import { type InstanceRow, InstancesRepository } from './instances.repo.js';
import { instanceHost } from './instances.service.js';
import { isPrefork } from './odoo-config.js';
import { odooServerSpec } from './odoo-container.js';
import { odooPasswordHash } from './odoo-password.js';

/** The outside systems instance operations use. */
export interface InstanceOpsDeps {
  config: Config;
  database: Database;
  runtime: InstanceRuntime;
  tenantDb: TenantDbServer;
  /** Where backups are kept (a restore into a new instance reads its archive there). */
  backupStorage: BackupStorage;
  edge: EdgeRouter;
  redis: Redis;
  log: FastifyBaseLogger;
}

/**
 * What the edge serves for an instance: a suspended tenant's settled instances show the suspended page
 * (stopped, running until the converge stops it, or failed), whatever their owner last asked for.
 */
export function routeState(instance: Pick<InstanceRow, 'status' | 'suspended'>): RouteState {
  if (instance.suspended && ['running', 'stopped', 'failed'].includes(instance.status)) return 'suspended';
  switch (instance.status) {
    case 'running':
      return 'active';
    case 'stopped':
      return 'stopped';
    case 'failed':
      return 'failed';
    default:
      return 'provisioning';
  }
}

export function instanceRoute(config: Config, instance: InstanceRow, state: RouteState = routeState(instance)): InstanceRoute {
  const ports = slotPorts(config.instancePortBase, instance.slot);
  const host = upstreamHost(instance);
  return {
    instanceId: instance.id,
    slug: instance.slug,
    hosts: [instanceHost(config, instance.slug)],
    // The websocket goes where this instance's mode serves it (docs/odoo.md): the gevent port only with workers.
    upstream: { http: `${host}:${ports.http}`, websocket: `${host}:${isPrefork(instance.limits) ? ports.gevent : ports.http}` },
    state,
  };
}

/** On an instance's Odoo container: the `workers` its config file was written with. */
export const ODOO_WORKERS_LABEL = 'saas.odoo.workers';

/** Whether a running instance should run Odoo: its owner wants it and its tenant is not suspended. */
export const wantsRunning = (instance: Pick<InstanceRow, 'desiredState' | 'suspended'>) =>
  instance.desiredState === 'running' && !instance.suspended;

export function instanceLabels(config: Config, instance: InstanceRow) {
  return {
    [LABELS.managed]: 'true',
    [LABELS.platform]: config.resourcePrefix,
    [LABELS.tenant]: instance.tenantId,
    [LABELS.instance]: instance.id,
  };
}

/** The full container spec of a running instance (the master password hash is derived once per call). */
export async function serverSpecFor(deps: InstanceOpsDeps, instance: InstanceRow) {
  const key = deps.config.encryptionKey;
  return odooServerSpec(deps.config, {
    names: instanceNames(deps.config.resourcePrefix, instance.id),
    image: instance.image,
    version: instance.version,
    limits: instance.limits,
    dbPassword: decrypt(key, instance.dbPassword, secretContext.instanceDbPassword(instance.id)),
    masterPasswordHash: await masterPasswordHash(key, instance),
    // The worker count the container's Odoo runs with: a plan change that moves it needs a restart.
    labels: { ...instanceLabels(deps.config, instance), [ODOO_WORKERS_LABEL]: String(instance.limits.workers) },
    slot: instance.slot,
  });
}

/**
 * Creates, updates or leaves the instance's Odoo container as its spec says (the one way every operation
 * starts Odoo), then records where it runs: on a swarm the node, and the address the edge and the health probes
 * reach it at. Returns the engine's view and the row as recorded, for the route and the health wait that follow.
 */
export async function ensureServerContainer(
  deps: InstanceOpsDeps,
  instance: InstanceRow,
): Promise<{ info: ContainerInfo; instance: InstanceRow }> {
  const info = await deps.runtime.ensureContainer(await serverSpecFor(deps, instance));
  const nodeId = info.nodeId ?? null;
  const nodeAddress = nodeId ? ((await deps.runtime.listNodes()).find((n) => n.id === nodeId)?.address ?? null) : null;
  if (nodeId === instance.nodeId && nodeAddress === instance.nodeAddress) return { info, instance };
  await new InstancesRepository(deps.database.db).update(instance.id, { nodeId, nodeAddress });
  return { info, instance: { ...instance, nodeId, nodeAddress } };
}

// The hash must stay the same between calls, or every reconcile would see a "changed" spec and
// recreate the container: it is derived deterministically from the instance's own secret material.
const hashCache = new Map<string, string>();
async function masterPasswordHash(key: Buffer, instance: InstanceRow) {
  const cached = hashCache.get(instance.id);
  if (cached) return cached;
  const password = decrypt(key, instance.masterPassword, secretContext.instanceMasterPassword(instance.id));
  const saltSeed = createHash('sha256').update(`${instance.id}:${password}`).digest();
  const hash = await odooPasswordHash(password, undefined, saltSeed.subarray(0, 16));
  hashCache.set(instance.id, hash);
  return hash;
}

export function networkSpecFor(config: Config, instance: InstanceRow) {
  return {
    name: instanceNames(config.resourcePrefix, instance.id).network,
    subnet: slotSubnet(config.instanceSubnetPool, instance.slot),
    labels: instanceLabels(config, instance),
  };
}
