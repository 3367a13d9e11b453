import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { invalid } from '../../errors/domain-error.js';
import { createDecryptStream, createEncryptStream } from './encryption.js';

/**
 * What both storage drivers share: the key rules and the way a plaintext body becomes the stored bytes
 * (hashed, then encrypted when the operator configured a key) and back.
 */

/** Path segments: start with an alphanumeric (so never `.`/`..` and never a driver's hidden temp file), then a safe charset. */
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]{0,127}';
const KEY_PATTERN = new RegExp(`^${SEGMENT}(/${SEGMENT}){0,7}$`);
const PREFIX_PATTERN = new RegExp(`^(${SEGMENT}/){0,7}([A-Za-z0-9][A-Za-z0-9._-]{0,127})?$`);

/** Refuses anything but a relative path such as `<instanceId>/<backupId>.zip`. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length > 512 || !KEY_PATTERN.test(key)) {
    throw invalid(
      'invalid_backup_key',
      `Invalid backup storage key ${JSON.stringify(String(key).slice(0, 100))}: use relative path segments of letters, digits, ".", "_" and "-" (no "..", no leading "/").`,
    );
  }
}

/** A list prefix: empty, whole segments ending in "/", or a partial last segment. */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || prefix.length > 512 || !PREFIX_PATTERN.test(prefix)) {
    throw invalid('invalid_backup_key', `Invalid backup storage prefix ${JSON.stringify(String(prefix).slice(0, 100))}.`);
  }
}

export interface EncodedBody {
  /** The transforms between the caller's body and the driver's sink, for `pipeline(body, ...transforms, sink)`. */
  transforms: Transform[];
  /** After the pipeline finished: the plaintext's checksum and size. */
  plaintext(): { sha256: string; size: number };
  /** Throws when the caller announced a checksum that the bytes do not match (the driver then discards the object). */
  verify(expectedSha256: string | undefined): void;
}

export function encodeForStorage(encryptionKey: Buffer | null): EncodedBody {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | null = null;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const plaintext = () => {
    digest ??= hash.digest('hex');
    return { sha256: digest, size };
  };
  return {
    transforms: encryptionKey ? [hasher, createEncryptStream(encryptionKey)] : [hasher],
    plaintext,
    verify(expected) {
      if (expected && expected.toLowerCase() !== plaintext().sha256) {
        throw invalid(
          'backup_checksum_mismatch',
          `The backup body's SHA-256 ${plaintext().sha256} does not match the expected ${expected}.`,
        );
      }
    },
  };
}

/** The plaintext view of stored bytes; a read or decryption error surfaces as an error on the returned stream. */
export function decodeFromStorage(stored: Readable, encryptionKey: Buffer | null, previousKeys: readonly Buffer[] = []): Readable {
  const keys = encryptionKey ? [encryptionKey, ...previousKeys] : [...previousKeys];
  if (keys.length === 0) return stored;
  const decrypt = createDecryptStream(keys);
  stored.on('error', (error) => decrypt.destroy(error));
  // A consumer that gives up early must not leave the underlying file or socket open.
  decrypt.on('close', () => stored.destroy());
  return stored.pipe(decrypt);
}
