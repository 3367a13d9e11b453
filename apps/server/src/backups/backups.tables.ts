import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../auth/auth.tables.js';
import { instances } from '../instances/instances.tables.js';
import { tenants } from '../tenants/tenants.tables.js';

/**
 * scheduled: the daily one; manual: "Backup now"; safety: taken before a restore replaces the instance;
 * final: taken before the instance is deleted; upload: a zip the tenant brought (made elsewhere).
 */
export const BACKUP_KINDS = ['scheduled', 'manual', 'safety', 'final', 'upload'] as const;
export type BackupKindValue = (typeof BACKUP_KINDS)[number];

/** `completed` is set only once the archive is wholly stored; `deleted` rows stay for the history. */
export const BACKUP_STATUSES = ['queued', 'running', 'completed', 'failed', 'deleted'] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

export interface JobProgress {
  step: string;
  percent: number;
}

export const backups = pgTable(
  'backups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: BACKUP_KINDS }).notNull(),
    status: text('status', { enum: BACKUP_STATUSES }).notNull().default('queued'),
    /** Odoo's major version of the archive ('17.0'): a backup restores onto that version only. */
    odooVersion: text('odoo_version').notNull(),
    /** Where the archive is in backup storage; set when the job starts, the object exists once `completed`. */
    storageKey: text('storage_key'),
    /** The zip's size and SHA-256 (as downloaded, before encryption at rest). */
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    sha256: text('sha256'),
    databaseBytes: bigint('database_bytes', { mode: 'number' }),
    filestoreBytes: bigint('filestore_bytes', { mode: 'number' }),
    filestoreFiles: integer('filestore_files'),
    modules: integer('modules'),
    progress: jsonb('progress').$type<JobProgress>(),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** Final backups: kept until then whatever the instance's retention (the instance is gone). */
    keepUntil: timestamp('keep_until', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    index('backups_instance_idx').on(t.instanceId, t.createdAt),
    index('backups_tenant_idx').on(t.tenantId, t.createdAt),
    index('backups_status_idx').on(t.status),
  ],
);

export const RESTORE_MODES = ['in_place', 'new_instance'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];
export const RESTORE_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type RestoreStatus = (typeof RESTORE_STATUSES)[number];

/**
 * A restore into an existing instance (in place). A restore into a new instance is that instance's
 * provisioning (instances.source_backup_id), followed like any other.
 */
export const restores = pgTable(
  'restores',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    backupId: uuid('backup_id')
      .notNull()
      .references(() => backups.id, { onDelete: 'restrict' }),
    status: text('status', { enum: RESTORE_STATUSES }).notNull().default('queued'),
    /** The backup of the instance as it was, taken first: what a failed restore puts back. */
    safetyBackupId: uuid('safety_backup_id').references(() => backups.id, { onDelete: 'set null' }),
    progress: jsonb('progress').$type<JobProgress>(),
    error: text('error'),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('restores_instance_idx').on(t.instanceId, t.createdAt),
    // One restore at a time per instance.
    uniqueIndex('restores_live_key').on(t.instanceId).where(sql`${t.status} in ('queued', 'running')`),
  ],
);
