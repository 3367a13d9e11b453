import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Encryption at rest for backup objects: AES-256-GCM over fixed-size records (a STREAM-like
 * construction), so multi-gigabyte backups are encrypted and checked without holding them in memory.
 *
 * Layout: header | record 0 | record 1 | ... | final record
 *   header  = magic "SAASBKP" (7) | version (1) | record size uint32 BE (4) | salt (32) | key check (16)
 *   record  = ciphertext of exactly `record size` plaintext bytes (the final one: 0..record size) | tag (16)
 * Each object gets its own AES key, derived with HKDF from the operator key and the random salt, so
 * nonces only need to be unique within one object: nonce = record counter (uint64 BE) | 0 0 0 | final flag.
 * The header is authenticated as AAD of every record; the counter catches reordered or dropped records,
 * the final flag catches a stream cut at a record boundary.
 */

const MAGIC = Buffer.from('SAASBKP', 'ascii');
const VERSION = 1;
const SALT_BYTES = 32;
const CHECK_BYTES = 16;
const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + 4 + SALT_BYTES + CHECK_BYTES;
export const DEFAULT_RECORD_BYTES = 64 * 1024;
/** Bounds a record size read from an untrusted header, so a forged header cannot make us buffer gigabytes. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Why a stored backup could not be decrypted. Kept apart from I/O errors so callers can tell "corrupt" from "unreachable". */
export class BackupDecryptionError extends Error {
  constructor(
    public readonly reason: 'not_encrypted' | 'unsupported_version' | 'wrong_key' | 'corrupt' | 'truncated',
    message: string,
  ) {
    super(message);
    this.name = 'BackupDecryptionError';
  }
}

export function assertOperatorKey(key: Buffer): void {
  if (key.length !== 32) throw new Error(`The backup encryption key must be 32 bytes, got ${key.length}.`);
}

function deriveKeys(operatorKey: Buffer, salt: Buffer) {
  const derive = (info: string, length: number) => Buffer.from(hkdfSync('sha256', operatorKey, salt, info, length));
  // The key check lets a wrong key be reported as such instead of as "corrupt"; it is an HKDF output, so it reveals nothing.
  return { aesKey: derive('saas-backup v1 aes-256-gcm', 32), check: derive('saas-backup v1 key-check', CHECK_BYTES) };
}

function nonce(counter: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(counter), 0);
  n[11] = final ? 1 : 0;
  return n;
}

/** A Transform that turns plaintext into the encrypted layout above. */
export function createEncryptStream(operatorKey: Buffer, recordBytes = DEFAULT_RECORD_BYTES): Transform {
  assertOperatorKey(operatorKey);
  if (recordBytes < 1 || recordBytes > MAX_RECORD_BYTES) throw new Error(`Invalid record size ${recordBytes}.`);
  const salt = randomBytes(SALT_BYTES);
  const { aesKey, check } = deriveKeys(operatorKey, salt);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[MAGIC.length] = VERSION;
  header.writeUInt32BE(recordBytes, MAGIC.length + 1);
  salt.copy(header, MAGIC.length + 5);
  check.copy(header, MAGIC.length + 5 + SALT_BYTES);

  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const seal = (plain: Buffer, final: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', aesKey, nonce(counter++, final), { authTagLength: TAG_BYTES });
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };

  return new Transform({
    construct(callback) {
      this.push(header);
      callback();
    },
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Strictly more than one record: the last full record may turn out to be the final one.
      if (pendingBytes > recordBytes) {
        let all = Buffer.concat(pending);
        while (all.length > recordBytes) {
          this.push(seal(all.subarray(0, recordBytes), false));
          all = all.subarray(recordBytes);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      // Always a final record, even empty, so a cut at a record boundary is detected.
      this.push(seal(Buffer.concat(pending), true));
      callback();
    },
  });
}

/** A Transform that checks and decrypts the layout above; it fails with a BackupDecryptionError, never emits unauthenticated bytes. */
export function createDecryptStream(operatorKey: Buffer | readonly Buffer[]): Transform {
  // Several keys: the current one and those it replaced (key rotation); the header's check says which one fits.
  const candidates = Array.isArray(operatorKey) ? operatorKey : [operatorKey as Buffer];
  for (const key of candidates) assertOperatorKey(key);
  let header: Buffer | null = null;
  let aesKey: Buffer | null = null;
  let recordBytes = 0;
  let counter = 0;
  let buffered: Buffer = Buffer.alloc(0);

  const open = (sealed: Buffer, final: boolean) => {
    if (!aesKey || !header) throw new Error('unreachable: header not read');
    const decipher = createDecipheriv('aes-256-gcm', aesKey, nonce(counter++, final), { authTagLength: TAG_BYTES });
    decipher.setAAD(header);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new BackupDecryptionError(
        'corrupt',
        `Backup record ${counter - 1} failed authentication: the object was modified, truncated or reordered.`,
      );
    }
  };

  const readHeader = () => {
    const h = buffered.subarray(0, HEADER_BYTES);
    if (!h.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BackupDecryptionError('not_encrypted', 'The stored object is not an encrypted backup (bad magic).');
    }
    if (h[MAGIC.length] !== VERSION) {
      throw new BackupDecryptionError('unsupported_version', `Unsupported backup encryption version ${h[MAGIC.length]}.`);
    }
    recordBytes = h.readUInt32BE(MAGIC.length + 1);
    if (recordBytes < 1 || recordBytes > MAX_RECORD_BYTES) throw new BackupDecryptionError('corrupt', 'Invalid record size in header.');
    const salt = h.subarray(MAGIC.length + 5, MAGIC.length + 5 + SALT_BYTES);
    const check = h.subarray(MAGIC.length + 5 + SALT_BYTES);
    const keys = candidates.map((key) => deriveKeys(key, salt)).find((k) => timingSafeEqual(k.check, check));
    if (!keys) throw new BackupDecryptionError('wrong_key', 'The backup was encrypted with a different key.');
    header = Buffer.from(h);
    aesKey = keys.aesKey;
    buffered = buffered.subarray(HEADER_BYTES);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
        if (!header && buffered.length >= HEADER_BYTES) readHeader();
        if (header) {
          const sealedBytes = recordBytes + TAG_BYTES;
          // Only open a full record once more bytes follow it: until then it may be the final record.
          while (buffered.length > sealedBytes) {
            this.push(open(buffered.subarray(0, sealedBytes), false));
            buffered = buffered.subarray(sealedBytes);
          }
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header) throw new BackupDecryptionError('truncated', 'The backup ends inside its encryption header.');
        if (buffered.length < TAG_BYTES) throw new BackupDecryptionError('truncated', 'The backup ends inside a record.');
        this.push(open(buffered, true));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Parses the operator key as configured: 32 bytes in base64 or hex (64 hex digits). */
export function parseEncryptionKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  assertOperatorKey(key);
  return key;
}
