import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notFound } from '../../errors/domain-error.js';
import type { BackupStorage } from './backup-storage.js';
import { assertValidKey, assertValidPrefix, decodeFromStorage, encodeForStorage } from './stored-object.js';

/**
 * Backups in a local directory (the default driver). Each key is a file under `root`. Writes go to a
 * hidden temp file in the same directory, are fsynced, then renamed over the key: a crash leaves at most
 * a `.…tmp` file, which `list` never shows and keys can never name (segments cannot start with ".").
 */
export class LocalBackupStorage implements BackupStorage {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(
    root: string,
    private readonly encryptionKey: Buffer | null,
    /** Keys that encrypted older objects (rotation): read with them, never written. */
    private readonly previousKeys: readonly Buffer[] = [],
  ) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Readable, meta: { sha256?: string }) {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // A key has one writer at a time (a backup's lock): a temp file of the same key is a killed attempt's.
    await removeTempFiles(dir, path.basename(file));
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const encoded = encodeForStorage(this.encryptionKey);
    const sink = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
    try {
      // `flush`: the data is fsynced before the rename makes it visible; otherwise a power cut could
      // leave a complete-looking empty file. Backups hold tenants' data: readable by the platform's user only.
      await pipeline([body, ...encoded.transforms, sink]);
      encoded.verify(meta.sha256);
      const { size } = await stat(temp);
      await rename(temp, file);
      await syncDirectory(dir);
      return { size, sha256: encoded.plaintext().sha256 };
    } catch (error) {
      body.destroy();
      // The file is opened asynchronously: wait until it is closed, or it could appear after the unlink.
      if (!sink.closed) await once(sink, 'close').catch(() => {});
      await unlink(temp).catch(() => {});
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isMissing(error)) throw notFound('Backup object');
      throw error;
    }
    return decodeFromStorage(handle.createReadStream(), this.encryptionKey, this.previousKeys);
  }

  async head(key: string) {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string) {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async list(prefix: string) {
    assertValidPrefix(prefix);
    // Walk only the directory the prefix names, not the whole tree.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = path.join(this.root, base);
    let entries: Dirent[];
    try {
      entries = await readdir(start, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const result: { key: string; size: number; modifiedAt: Date }[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const key = path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
      // Temp files and anything else a key could not name are not objects.
      if (!key.startsWith(prefix) || key.split('/').some((segment) => segment.startsWith('.'))) continue;
      try {
        const info = await stat(path.join(entry.parentPath, entry.name));
        result.push({ key, size: info.size, modifiedAt: info.mtime });
      } catch (error) {
        if (!isMissing(error)) throw error; // deleted while listing
      }
    }
    return result.sort((a, b) => a.key.localeCompare(b.key));
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }
}

async function removeTempFiles(dir: string, base: string) {
  const stale = (await readdir(dir)).filter((name) => name.startsWith(`.${base}.`) && name.endsWith('.tmp'));
  await Promise.all(stale.map((name) => unlink(path.join(dir, name)).catch(() => {})));
}

async function syncDirectory(dir: string) {
  // Makes the rename itself durable; some filesystems refuse fsync on a directory, which is harmless.
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch(() => {});
  } finally {
    await handle.close();
  }
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';
