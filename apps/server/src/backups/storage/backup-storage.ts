import type { Readable } from 'node:stream';
import { assertOperatorKey } from './encryption.js';
import { LocalBackupStorage } from './local-backup-storage.js';
import { S3BackupStorage } from './s3-backup-storage.js';

/**
 * Where backup archives live. Domain code depends on this interface only; a local directory (the
 * default) and S3-compatible object storage implement it and run the same contract tests.
 *
 * Keys are relative paths such as `<instanceId>/<backupId>.zip`; anything else is refused.
 * With an encryption key, drivers store ciphertext (see encryption.ts) and `get` returns plaintext.
 * A `put` is atomic: until it resolves, the object is absent (or still the previous version), never partial.
 */
export interface BackupStorage {
  readonly kind: 'local' | 's3';
  /**
   * Stores `body` under `key`, replacing any previous object. Returns the plaintext's SHA-256 and the
   * stored size (ciphertext bytes when encrypted). With `meta.sha256`, a body that does not match is refused and nothing is stored.
   */
  put(key: string, body: Readable, meta: { sha256?: string }): Promise<{ size: number; sha256: string }>;
  /** The plaintext; throws not_found when absent. Corruption or a wrong key surfaces as a stream error (BackupDecryptionError). */
  get(key: string): Promise<Readable>;
  /** The stored size, or null when absent. */
  head(key: string): Promise<{ size: number } | null>;
  /** Idempotent: deleting an absent object succeeds. */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (e.g. `<instanceId>/`), with stored sizes. */
  list(prefix: string): Promise<{ key: string; size: number; modifiedAt: Date }[]>;
}

export interface S3StorageSettings {
  driver: 's3';
  /** For non-AWS services (MinIO, Ceph, R2...); absent = AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Per environment (e.g. `prod`, `staging`), so environments can share a bucket without seeing each other. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Multipart part size in bytes (S3 requires at least 5 MiB); default 8 MiB. */
  partSize?: number;
}

export type BackupStorageSettings = ({ driver: 'local'; dir: string } | S3StorageSettings) & {
  /** The operator's 32-byte key; null stores plaintext. */
  encryptionKey: Buffer | null;
  /** Keys of earlier rotations: objects they encrypted stay readable; new ones use `encryptionKey`. */
  previousKeys?: Buffer[];
};

export function createBackupStorage(settings: BackupStorageSettings): BackupStorage {
  for (const key of [settings.encryptionKey, ...(settings.previousKeys ?? [])]) if (key) assertOperatorKey(key);
  switch (settings.driver) {
    case 'local':
      return new LocalBackupStorage(settings.dir, settings.encryptionKey, settings.previousKeys);
    case 's3':
      return new S3BackupStorage(settings, settings.encryptionKey, settings.previousKeys);
  }
}
