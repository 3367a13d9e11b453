import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupDecryptionError, createDecryptStream, parseEncryptionKey } from './storage/encryption.js';

/** EX_CONFIG, as the other commands exit on a bad setting. */
const EXIT_CONFIG = 78;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

async function startsLikeZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

async function explain(error: unknown, input: string, output: string): Promise<string | null> {
  if (error instanceof BackupDecryptionError) {
    switch (error.reason) {
      case 'wrong_key':
        return `${input} was encrypted with another key than BACKUP_ENCRYPTION_KEY: use the key that was configured when the backup was taken.`;
      case 'not_encrypted':
        return (await startsLikeZip(input))
          ? `${input} is not encrypted: it is already the plain zip (stored while BACKUP_ENCRYPTION_KEY was unset); use it as it is.`
          : `${input} is not a backup encrypted by this platform (no SAASBKP header).`;
      case 'unsupported_version':
        return `${input}: ${error.message} A newer version of the platform wrote it; decrypt it with that version.`;
      default:
        return `${input} is damaged or incomplete: ${error.message}`;
    }
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' && (error as NodeJS.ErrnoException).path === input) return `${input} does not exist.`;
  if (code === 'EEXIST') return `${output} exists already: choose another output file (it is never overwritten).`;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') return (error as Error).message;
  return null;
}

/**
 * `cli.js backup-decrypt <in> <out>`: turns a backup archive as stored (a local file: from BACKUP_DIR, or
 * fetched from the bucket) into the plain zip, with the operator's BACKUP_ENCRYPTION_KEY. Every record is
 * authenticated before it is written; on any failure the partial output is removed, so a file left behind
 * is always a whole, authentic archive. Prints one JSON line: the output, its size and its SHA-256 (the
 * `sha256` of the backup in the API, to compare).
 */
export async function backupDecryptCommand(
  args: string[],
  env: Record<string, string | undefined>,
  io: CommandIo = processIo,
): Promise<number> {
  const [input, output, ...rest] = args;
  if (!input || !output || rest.length > 0) {
    io.stderr('usage: cli.js backup-decrypt <in> <out>   (BACKUP_ENCRYPTION_KEY in the environment or .env)\n');
    return 2;
  }
  if (!env.BACKUP_ENCRYPTION_KEY) {
    io.stderr('backup-decrypt: BACKUP_ENCRYPTION_KEY is not set (the key the backup was encrypted with).\n');
    return EXIT_CONFIG;
  }
  let key: Buffer;
  try {
    key = parseEncryptionKey(env.BACKUP_ENCRYPTION_KEY);
  } catch {
    io.stderr('backup-decrypt: BACKUP_ENCRYPTION_KEY must be 32 bytes, base64 or hex.\n');
    return EXIT_CONFIG;
  }

  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // `wx`: an existing file is never replaced; 0600: the plain archive holds a tenant's data.
  const sink = createWriteStream(output, { flags: 'wx', mode: 0o600, flush: true });
  let created = false;
  sink.once('open', () => {
    created = true;
  });
  try {
    await pipeline(createReadStream(input), createDecryptStream(key), count, sink);
  } catch (error) {
    if (!sink.closed) await once(sink, 'close').catch(() => {});
    // Only a file this run created is removed; an existing one it refused to open is left alone.
    if (created) await unlink(output).catch(() => {});
    const message = await explain(error, input, output);
    if (message === null) throw error;
    io.stderr(`backup-decrypt: ${message} Nothing was written.\n`);
    return 1;
  }
  io.stdout(`${JSON.stringify({ out: output, bytes, sha256: hash.digest('hex') })}\n`);
  return 0;
}
