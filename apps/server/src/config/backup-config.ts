import { z } from 'zod';
import type { BackupStorageSettings } from '../backups/storage/backup-storage.js';
import { parseEncryptionKey } from '../backups/storage/encryption.js';

/** The backups part of the environment (docs/backups.md). */
export const backupEnvShape = {
  BACKUP_STORAGE: z.enum(['local', 's3']).default('local'),
  // The local driver's directory (one per environment).
  BACKUP_DIR: z.string().min(1).default('/var/lib/odoo-saas/backups'),
  // Scratch space of backup and restore jobs: a dump and a filestore at a time per job.
  BACKUP_WORK_DIR: z.string().min(1).default('/var/tmp/odoo-saas-backups'),
  BACKUP_S3_ENDPOINT: z.url().optional(),
  BACKUP_S3_REGION: z.string().min(1).default('us-east-1'),
  BACKUP_S3_BUCKET: z.string().min(3).optional(),
  // Per environment, so that environments can share a bucket without seeing each other's backups.
  BACKUP_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be one path segment (letters, digits, . _ -)')
    .optional(),
  BACKUP_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  BACKUP_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  BACKUP_S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(5120).default(8),
  // 32 bytes, base64 or hex: archives are encrypted at rest (AES-256-GCM) with a key derived from it.
  BACKUP_ENCRYPTION_KEY: z.string().optional(),
  // Key rotation: the keys BACKUP_ENCRYPTION_KEY replaced, comma-separated; archives they encrypted stay readable.
  BACKUP_ENCRYPTION_PREVIOUS_KEYS: z.string().optional(),
  BACKUP_UPLOAD_MAX_MB: z.coerce.number().int().min(1).max(1_048_576).default(4096),
  BACKUP_DOWNLOAD_LINK_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  // How often due scheduled backups are looked for (and lost jobs re-queued).
  BACKUP_SCHEDULE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),
  // Backup and restore jobs one worker process runs at the same time (each is disk- and CPU-heavy).
  BACKUP_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
};

const backupEnv = z.object({ ...backupEnvShape, NODE_ENV: z.string(), RESOURCE_PREFIX: z.string() });
type BackupEnv = z.infer<typeof backupEnv>;

export interface BackupConfig {
  storage: BackupStorageSettings;
  workDir: string;
  uploadMaxBytes: number;
  downloadLinkSeconds: number;
  scheduleIntervalSeconds: number;
  concurrency: number;
}

export function checkBackupEnv(env: BackupEnv, ctx: z.RefinementCtx) {
  if (env.BACKUP_ENCRYPTION_KEY !== undefined) {
    try {
      parseEncryptionKey(env.BACKUP_ENCRYPTION_KEY);
    } catch {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_ENCRYPTION_KEY'],
        message: 'must be 32 bytes, base64 or hex (openssl rand -base64 32)',
      });
    }
  } else if (env.NODE_ENV === 'production') {
    ctx.addIssue({
      code: 'custom',
      path: ['BACKUP_ENCRYPTION_KEY'],
      message: 'is required in production: backups hold every tenant’s data',
    });
  }
  for (const key of previousKeys(env.BACKUP_ENCRYPTION_PREVIOUS_KEYS)) {
    try {
      parseEncryptionKey(key);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['BACKUP_ENCRYPTION_PREVIOUS_KEYS'], message: 'each key must be 32 bytes, base64 or hex' });
    }
  }
  if (env.BACKUP_STORAGE === 's3') {
    for (const key of ['BACKUP_S3_BUCKET', 'BACKUP_S3_ACCESS_KEY_ID', 'BACKUP_S3_SECRET_ACCESS_KEY'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required with BACKUP_STORAGE=s3 (docs/backups.md)' });
    }
  }
}

const previousKeys = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

export function backupConfig(env: BackupEnv): BackupConfig {
  const encryptionKey = env.BACKUP_ENCRYPTION_KEY ? parseEncryptionKey(env.BACKUP_ENCRYPTION_KEY) : null;
  const previous = previousKeys(env.BACKUP_ENCRYPTION_PREVIOUS_KEYS).map(parseEncryptionKey);
  const storage: BackupStorageSettings =
    env.BACKUP_STORAGE === 's3'
      ? {
          driver: 's3',
          endpoint: env.BACKUP_S3_ENDPOINT,
          region: env.BACKUP_S3_REGION,
          bucket: env.BACKUP_S3_BUCKET ?? '',
          prefix: env.BACKUP_S3_PREFIX ?? env.RESOURCE_PREFIX,
          accessKeyId: env.BACKUP_S3_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.BACKUP_S3_SECRET_ACCESS_KEY ?? '',
          partSize: env.BACKUP_S3_PART_SIZE_MB * 2 ** 20,
          encryptionKey,
          previousKeys: previous,
        }
      : { driver: 'local', dir: env.BACKUP_DIR, encryptionKey, previousKeys: previous };
  return {
    storage,
    workDir: env.BACKUP_WORK_DIR,
    uploadMaxBytes: env.BACKUP_UPLOAD_MAX_MB * 2 ** 20,
    downloadLinkSeconds: env.BACKUP_DOWNLOAD_LINK_SECONDS,
    scheduleIntervalSeconds: env.BACKUP_SCHEDULE_INTERVAL_SECONDS,
    concurrency: env.BACKUP_CONCURRENCY,
  };
}
