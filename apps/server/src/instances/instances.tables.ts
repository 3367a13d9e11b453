import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.tables.js';

export const instanceStatus = pgEnum('instance_status', ['pending', 'provisioning', 'running', 'stopped', 'failed', 'deleting', 'deleted']);

/** Odoo versions offered: seeded from ODOO_VERSIONS, then managed by platform admins. */
export const odooVersions = pgTable('odoo_versions', {
  version: text('version').primaryKey(),
  image: text('image').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  isDefault: boolean('is_default').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A pre-initialized database (and filestore) per version, cloned by the fast provisioning path. */
export const odooTemplates = pgTable('odoo_templates', {
  version: text('version')
    .primaryKey()
    .references(() => odooVersions.version, { onDelete: 'cascade' }),
  image: text('image').notNull(),
  status: text('status', { enum: ['building', 'ready', 'failed'] }).notNull(),
  error: text('error'),
  builtAt: timestamp('built_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export interface InstanceLimits {
  memoryMb: number;
  cpuMillis: number;
  pids: number;
  storageGb: number;
  workers: number;
}

export interface InstanceProgress {
  operation: string;
  step: string | null;
  stepIndex: number;
  stepCount: number;
  percent: number;
}

export const instances = pgTable(
  'instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    version: text('version')
      .notNull()
      .references(() => odooVersions.version),
    image: text('image').notNull(),
    status: instanceStatus('status').notNull().default('pending'),
    /** What the owner wants: the reconciler converges the engine to this. */
    desiredState: text('desired_state', { enum: ['running', 'stopped', 'deleted'] })
      .notNull()
      .default('running'),
    limits: jsonb('limits').$type<InstanceLimits>().notNull(),
    /** Its tenant is suspended (billing or an admin): the instance is stopped whatever desiredState says, and the edge serves the suspended page. */
    suspended: boolean('suspended').notNull().default(false),
    /** Allocation slot: decides the network subnet and the published host ports. Unique among live instances. */
    slot: integer('slot').notNull(),
    /**
     * Where its Odoo container runs, recorded each time the container is ensured: the runtime node's id (null on
     * the single-engine Docker driver) and the address its published ports are reached at (null: 127.0.0.1).
     */
    nodeId: text('node_id'),
    nodeAddress: text('node_address'),
    /** Encrypted with ENCRYPTION_KEY. */
    dbPassword: text('db_password').notNull(),
    masterPassword: text('master_password').notNull(),
    /** The Odoo admin password until the owner has seen it once (then null). Encrypted. */
    pendingAdminPassword: text('pending_admin_password'),
    provisionPath: text('provision_path', { enum: ['template', 'fresh', 'backup'] }),
    progress: jsonb('progress').$type<InstanceProgress>(),
    /** The hour (UTC) of the daily backup the tenant chose; null: spread over the night by the platform. */
    backupHour: integer('backup_hour'),
    /** The login of Odoo's administrator (base.user_admin): `admin`, or the restored database's own. */
    adminLogin: text('admin_login').notNull().default('admin'),
    /** Made from this backup (a duplicate or staging copy) instead of a fresh Odoo; see backups.tables.ts. */
    sourceBackupId: uuid('source_backup_id'),
    lastError: text('last_error'),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('instances_slug_live_key').on(t.slug).where(sql`${t.status} <> 'deleted'`),
    uniqueIndex('instances_slot_live_key').on(t.slot).where(sql`${t.status} <> 'deleted'`),
    index('instances_tenant_idx').on(t.tenantId),
  ],
);

/** Every status change, with who and why. */
export const instanceEvents = pgTable(
  'instance_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    fromStatus: instanceStatus('from_status'),
    toStatus: instanceStatus('to_status').notNull(),
    actorId: uuid('actor_id'),
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('instance_events_instance_idx').on(t.instanceId, t.at)],
);

/**
 * Durable state of a multi-step operation (provision, delete...): which steps are done, so a run
 * that crashed resumes where it stopped, or undoes exactly what it did. `failed` means even undoing
 * could not finish within the retry budget (the error says what may be left).
 */
export const workflowRuns = pgTable(
  'workflow_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    subjectId: uuid('subject_id').notNull(),
    status: text('status', { enum: ['running', 'succeeded', 'compensating', 'compensated', 'failed', 'cancelled'] }).notNull(),
    doneSteps: jsonb('done_steps').$type<string[]>().notNull().default([]),
    currentStep: text('current_step'),
    attempts: integer('attempts').notNull().default(0),
    /** The workflow's version when the run started: its step names are resolved against the current steps. */
    version: integer('version').notNull().default(1),
    /** Who executes the run now, until when (renewed while it runs): a second claimer waits instead of racing. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('workflow_runs_subject_idx').on(t.subjectId),
    // The latest run of an operation on a subject is what a claim reads.
    index('workflow_runs_latest_idx').on(t.kind, t.subjectId, t.startedAt),
    // One live run per operation and subject.
    uniqueIndex('workflow_runs_live_key').on(t.kind, t.subjectId).where(sql`${t.status} in ('running', 'compensating')`),
  ],
);

/** What the reconciler found and did on each run. */
export const reconcileRuns = pgTable('reconcile_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  findings: jsonb('findings').$type<{ kind: string; target: string; action: string; detail?: string }[]>().notNull().default([]),
  error: text('error'),
});
