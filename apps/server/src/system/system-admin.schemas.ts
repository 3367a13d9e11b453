import { z } from 'zod';
import { pageQuery } from '../http/route-helpers.js';
import { instanceStatusSchema } from '../instances/instances.schemas.js';

/** What the edge serves on a host: Odoo (`active`) or one of the platform's status pages. Mirrors RouteState (edge-router.ts). */
export const ROUTE_STATES = ['active', 'provisioning', 'stopped', 'failed', 'suspended'] as const;

/**
 * The certificate a host is served with: `not_used` when the platform serves plain HTTP (local mode),
 * `missing` when TLS is on but no certificate covers the host yet.
 */
export const HOST_CERTIFICATE_STATUSES = ['valid', 'expiring', 'expired', 'renewal_failed', 'missing', 'not_used'] as const;

export const edgeRoutesQuery = pageQuery.extend({
  q: z.string().trim().max(200).optional().describe('Part of the host name or of the instance’s slug or name'),
  state: z.enum(ROUTE_STATES).optional(),
});

export const edgeRouteSchema = z
  .object({
    host: z.string(),
    kind: z.enum(['subdomain', 'custom_domain']),
    instance: z.object({ id: z.uuid(), slug: z.string(), name: z.string(), tenantId: z.uuid() }),
    state: z.enum(ROUTE_STATES),
    certificate: z.object({
      status: z.enum(HOST_CERTIFICATE_STATUSES),
      /** The certificate's directory name (a host or `_wildcard.<domain>`); null without one. */
      name: z.string().nullable(),
      notAfter: z.iso.datetime().nullable(),
    }),
  })
  .meta({ id: 'EdgeRoute' });

/**
 * The effective configuration an operator may read. Built field by field from an allow-list
 * (platform-settings.ts): no secret, key, password or URL with credentials ever goes in here.
 */
export const platformSettingsSchema = z
  .object({
    mode: z.enum(['development', 'test', 'production']),
    domains: z.object({
      publicUrl: z.string(),
      adminUrl: z.string(),
      baseDomain: z.string(),
      instanceDomain: z.string().describe('Instances answer at <slug>.<this>'),
      publicIpv4: z.string().nullable().describe('The address custom domains point at'),
    }),
    edge: z.object({
      router: z.enum(['nginx', 'log']),
      mode: z.enum(['local', 'remote']).describe('local: this machine’s nginx; remote: edge containers fed through Redis'),
      tls: z.boolean(),
      httpPort: z.number().int(),
      httpsPort: z.number().int(),
      acmeDirectoryUrl: z.string().nullable().describe('Only in TLS mode'),
    }),
    billing: z.object({
      provider: z.enum(['stripe', 'manual']),
      currency: z.string(),
      defaultPlan: z.string(),
      stripeTax: z.boolean(),
      graceDays: z.number(),
      retentionDays: z.number(),
    }),
    backups: z.object({
      storage: z.enum(['local', 's3']),
      /** Where archives go: a directory, or the bucket (and endpoint) without credentials. */
      location: z.string(),
      encrypted: z.boolean(),
      schedule: z.string().describe('When scheduled backups run, in words'),
      checkIntervalSeconds: z.number().int(),
      concurrency: z.number().int(),
    }),
    security: z.object({
      staffTwoFactor: z.boolean(),
      accessTokenTtlSeconds: z.number().int(),
      refreshTokenTtlDays: z.number().int(),
      loginLockThreshold: z.number().int(),
      loginLockMinutes: z.number().int(),
      egressPolicy: z.boolean(),
    }),
    mail: z.object({ from: z.string(), transport: z.enum(['smtp', 'log']) }),
    odooVersions: z.array(z.object({ version: z.string(), image: z.string() })).describe('The seed of the catalog (ODOO_VERSIONS)'),
    monitoring: z.object({ prometheusUrl: z.string().nullable(), alertmanagerUrl: z.string().nullable() }),
  })
  .meta({ id: 'PlatformSettings' });

export type PlatformSettings = z.infer<typeof platformSettingsSchema>;

const resources = z.object({ memoryMb: z.number().int(), cpuMillis: z.number().int().describe('Thousandths of a core') });

export const nodeInstanceSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    tenantId: z.uuid(),
    status: instanceStatusSchema,
    limits: resources.describe("The plan's limits"),
  })
  .meta({ id: 'NodeInstance' });

/**
 * The instances' egress policy on a node (docs/firewall.md), as the worker last applied it: `applied` (its table is
 * in place), `failed` (it could not be put there; `reason` says why), `skipped` (left without it on purpose: the
 * node runs other services' tasks), `off` (EGRESS_POLICY=off), `unknown` (no recent report from a worker).
 */
export const NODE_EGRESS_STATES = ['applied', 'failed', 'skipped', 'off', 'unknown'] as const;

export const nodeEgressSchema = z
  .object({
    state: z.enum(NODE_EGRESS_STATES),
    reason: z.string().nullable().describe('Why it is not applied (failed, skipped, off, unknown); null when applied'),
    checkedAt: z.iso
      .datetime()
      .nullable()
      .describe('When the worker last checked the node (it does on every reconciler run); null for off and unknown'),
  })
  .meta({ id: 'NodeEgress' });

export const instanceMoveSchema = z
  .object({
    id: z.uuid(),
    instanceId: z.uuid(),
    slug: z.string().nullable(),
    kind: z.enum(['drain', 'failover']).describe('drain: moved with its data; failover: restored from its latest backup'),
    fromNodeId: z.string(),
    fromNodeName: z.string(),
    toNodeId: z.string(),
    toNodeName: z.string(),
    status: z
      .enum(['queued', 'running', 'succeeded', 'failed', 'blocked'])
      .describe('blocked: a failover that cannot run (no completed backup, or no node can hold it); `error` says why'),
    reason: z.string(),
    error: z.string().nullable(),
    backupId: z.uuid().nullable().describe('Failover: the backup its files are restored from'),
    backupAt: z.iso.datetime().nullable().describe('Failover: when that backup completed'),
    lostAt: z.iso.datetime().nullable().describe('Failover: when the node went down (as Swarm recorded it)'),
    rpoSeconds: z
      .number()
      .int()
      .nullable()
      .describe('Failover: the files lost, as the time between that backup and the loss (the database loses nothing)'),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'InstanceMove' });

export const nodesSchema = z
  .object({
    nodes: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        address: z.string().nullable().describe('Where the edge reaches its instances; null: the edge’s own host'),
        role: z.enum(['standalone', 'manager', 'worker']),
        availability: z.enum(['active', 'pause', 'drain']),
        state: z.enum(['ready', 'down']),
        downSince: z.iso.datetime().nullable().describe('A node that is down: since when (its instances fail over after a grace period)'),
        capacity: resources,
        allocated: resources.describe('The plans of its instances that hold resources (provisioning, running, deleting)'),
        labels: z.record(z.string(), z.string()),
        engineVersion: z.string(),
        egress: nodeEgressSchema.describe('What the instances on it may reach: the egress policy there'),
        instances: z.array(nodeInstanceSchema),
      }),
    ),
    unplaced: z.array(nodeInstanceSchema).describe('Instances without a container on any node (e.g. failed or pending)'),
    moves: z.array(instanceMoveSchema).describe('The latest moves of instances between nodes, newest first'),
  })
  .meta({ id: 'Nodes' });

export const nodeParams = z.object({
  nodeId: z.string().regex(/^[A-Za-z0-9:]{1,128}$/, 'a node id as the Nodes page lists it (a swarm node id, or the engine id)'),
});

export const drainNodeBody = z.object({
  reason: z.string().trim().min(10).max(500).describe('Recorded in the audit trail and in each moved instance’s history'),
});

export const drainResultSchema = z
  .object({
    nodeId: z.string(),
    availability: z
      .enum(['active', 'pause', 'drain'])
      .describe('pause while its instances move (nothing new lands there), drain once empty'),
    moves: z.array(instanceMoveSchema).describe('One queued move per instance, each run by the worker'),
    leftovers: z
      .array(z.object({ instanceId: z.uuid(), slug: z.string(), code: z.string(), reason: z.string() }))
      .describe('Instances that stay: no other node can hold them, or they are busy (being provisioned, deleted, moved)'),
  })
  .meta({ id: 'DrainResult' });
