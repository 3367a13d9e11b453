import { z } from 'zod';
import { BACKUP_KINDS, BACKUP_STATUSES, RESTORE_STATUSES } from './backups.tables.js';

export const jobProgressSchema = z
  .object({ step: z.string(), percent: z.number().int().min(0).max(100) })
  .meta({ id: 'JobProgress', description: 'What a running backup or restore is doing, and roughly how far it is' });

export const backupSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    instanceId: z.uuid(),
    instanceName: z.string(),
    instanceSlug: z.string(),
    instanceDeleted: z.boolean().describe('The instance is gone; this (final) backup remains until its retention ends'),
    kind: z.enum(BACKUP_KINDS),
    status: z.enum(BACKUP_STATUSES),
    odooVersion: z.string(),
    progress: jobProgressSchema.nullable(),
    sizeBytes: z.number().nullable().describe('The zip as downloaded'),
    sha256: z.string().nullable().describe('SHA-256 of the zip as downloaded'),
    databaseBytes: z.number().nullable().describe('dump.sql, uncompressed'),
    filestoreBytes: z.number().nullable(),
    filestoreFiles: z.number().int().nullable(),
    modules: z.number().int().nullable().describe('Installed Odoo modules'),
    error: z.string().nullable(),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    keepUntil: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Backup' });
export type BackupDto = z.infer<typeof backupSchema>;

export const restoreSchema = z
  .object({
    id: z.uuid(),
    instanceId: z.uuid(),
    backupId: z.uuid(),
    status: z.enum(RESTORE_STATUSES),
    safetyBackupId: z.uuid().nullable().describe('The backup of the instance as it was before, taken first'),
    progress: jobProgressSchema.nullable(),
    error: z.string().nullable(),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Restore' });
export type RestoreDto = z.infer<typeof restoreSchema>;

export const backupScheduleSchema = z
  .object({
    hour: z.number().int().min(0).max(23).nullable().describe('The hour (UTC) chosen by the tenant; null: spread by the platform'),
    nextAt: z.iso.datetime().describe('When the next scheduled backup starts (UTC)'),
    retention: z.object({ daily: z.number().int(), weekly: z.number().int(), monthly: z.number().int() }),
    manualPerDay: z.number().int(),
    manualUsedToday: z.number().int(),
    uploadMaxBytes: z.number().int().describe('The largest zip an upload may be'),
  })
  .meta({ id: 'BackupSchedule' });
export type BackupScheduleDto = z.infer<typeof backupScheduleSchema>;

export const backupsStateSchema = z
  .object({ backups: z.array(backupSchema), restores: z.array(restoreSchema), schedule: backupScheduleSchema })
  .meta({ id: 'InstanceBackups' });
export type InstanceBackupsDto = z.infer<typeof backupsStateSchema>;

/** One Server-Sent Event of `GET /instances/{id}/backups/events`: `event: backups`, data the same as `GET /instances/{id}/backups`. */
export const backupsUpdateSchema = z
  .object({ event: z.literal('backups'), data: backupsStateSchema })
  .meta({ id: 'BackupsUpdate', description: 'One event of the backups live stream: `event: backups`, `data:` InstanceBackups as JSON.' });
export type BackupsUpdate = z.infer<typeof backupsUpdateSchema>;

export const backupParams = z.object({ backupId: z.uuid() });
export const restoreBody = z.object({ backupId: z.uuid() });
export const scheduleBody = z.object({ hour: z.number().int().min(0).max(23).nullable() });
export const downloadLinkSchema = z
  .object({ url: z.string(), expiresAt: z.iso.datetime() })
  .meta({ id: 'BackupDownloadLink', description: 'A short-lived signed link; anyone holding it can download until it expires' });
export const downloadQuery = z.object({ expires: z.coerce.number().int(), signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
