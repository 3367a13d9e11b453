import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import {
  DUMP_MEMBER,
  FILESTORE_PREFIX,
  isSafeRelativePath,
  MANIFEST_MEMBER,
  type OdooManifest,
  type SaasManifest,
} from './archive-format.js';

export type { OdooManifest, SaasManifest } from './archive-format.js';

/** Odoo's release.py: (MAJOR, MINOR, MICRO, RELEASE_LEVEL, SERIAL, SUFFIX), e.g. [17, 0, 0, 'final', 0, '']. */
export type OdooVersionInfo = [number | string, number, number, string, number, string];

const RELEASE_LEVEL_DISPLAY: Record<string, string> = { alpha: 'alpha', beta: 'beta', candidate: 'rc', final: '' };

export interface ManifestInput {
  dbName: string;
  versionInfo: OdooVersionInfo;
  /** Odoo's full `release.version` when known (release builds append a date, e.g. '17.0-20240709'). */
  version?: string;
  /** PostgreSQL's `server_version_num`, e.g. 160004. */
  serverVersionNum: number;
  /** Installed modules: name → latest_version, as `SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'`. */
  modules: Record<string, string | null>;
}

/** The manifest Odoo's dump_db_manifest writes, field for field (our `saas` key is added by writeOdooArchive). */
export function buildManifest(input: ManifestInput): OdooManifest {
  const [major, minor, , level, serial, suffix] = input.versionInfo;
  const majorVersion = `${major}.${minor}`;
  const version = input.version ?? `${majorVersion}${RELEASE_LEVEL_DISPLAY[level] ?? ''}${serial ? String(serial) : ''}${suffix}`;
  // Odoo computes "%d.%d" % divmod(server_version / 100, 100) with true division: 160004 → '16.0', 90603 → '9.6'.
  const n = input.serverVersionNum;
  const pgVersion = `${Math.floor(n / 10000)}.${Math.floor((n / 100) % 100)}`;
  return {
    odoo_dump: '1',
    db_name: input.dbName,
    version,
    version_info: [...input.versionInfo],
    major_version: majorVersion,
    pg_version: pgVersion,
    modules: { ...input.modules },
  };
}

export interface OdooArchiveInput {
  /** The plain SQL dump (`pg_dump --no-owner`), as a stream or a file path. */
  dumpSql: Readable | string;
  /** The database's filestore directory; missing means no filestore (Odoo omits it too). */
  filestoreDir: string;
  manifest: OdooManifest;
  /** Deflate level, 0–9 (default 6, as Python's zipfile). */
  compressionLevel?: number;
  now?: Date;
}

export interface OdooArchiveResult {
  manifest: OdooManifest & { saas: SaasManifest };
  /** Filestore entries left out because they are not regular files or have unsafe names (never followed). */
  skipped: string[];
}

/** Regular files under the filestore, sorted, as relative paths; symlinks and other special files are not followed. */
async function listFilestore(root: string): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [];
  const skipped: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === '' && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (!isSafeRelativePath(path)) skipped.push(path);
      else if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
      else skipped.push(path);
    }
  };
  await walk('');
  return { files, skipped };
}

/** Passes data through while counting and hashing it; the result is recorded once the stream ends. */
function measured(source: Readable, onDone: (size: number, sha256: string) => void): Transform {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      onDone(size, hash.digest('hex'));
      callback();
    },
  });
  source.on('error', (err) => meter.destroy(err));
  return source.pipe(meter);
}

// O_NOFOLLOW: a file swapped for a symlink between listing and reading must not leak what it points to.
async function openNoFollow(path: string): Promise<Readable> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  return handle.createReadStream();
}

/**
 * Streams an Odoo-format backup zip to `out`: dump.sql first (as Odoo orders it), then the filestore,
 * then manifest.json, written last so it can carry the size and SHA-256 of every member. Nothing is
 * buffered whole; yazl deflates each member as it is read.
 */
export async function writeOdooArchive(input: OdooArchiveInput, out: Writable): Promise<OdooArchiveResult> {
  const createdAt = (input.now ?? new Date()).toISOString();
  const mtime = new Date(createdAt);
  const options = { mtime, mode: 0o100644, compressionLevel: input.compressionLevel ?? 6 };
  const members: SaasManifest['members'] = {};
  const { files, skipped } = await listFilestore(input.filestoreDir);
  const zip = new ZipFile();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    (zip.outputStream as Readable).destroy(err);
  };

  const addMeasured = (name: string, openSource: () => Promise<Readable>) => {
    zip.addReadStreamLazy(name, options, (callback) => {
      openSource().then(
        (source) => {
          const stream = measured(source, (size, sha256) => {
            members[name] = { size, sha256 };
          });
          stream.on('error', fail);
          callback(null, stream);
        },
        (err: Error) => fail(err),
      );
    });
  };

  const dump = input.dumpSql;
  // A stream handed in may fail (pg_dump exiting) before yazl reaches it.
  if (typeof dump !== 'string') dump.on('error', fail);
  addMeasured(DUMP_MEMBER, async () => (typeof dump === 'string' ? openNoFollow(dump) : dump));
  for (const file of files) addMeasured(FILESTORE_PREFIX + file, () => openNoFollow(join(input.filestoreDir, file)));

  let manifest: OdooArchiveResult['manifest'] | undefined;
  // yazl opens lazy streams in order, so by now every member above has been read and measured.
  zip.addReadStreamLazy(MANIFEST_MEMBER, { mtime, mode: 0o100644 }, (callback) => {
    const dumpBytes = members[DUMP_MEMBER]?.size ?? 0;
    const filestoreBytes = Object.entries(members)
      .filter(([name]) => name.startsWith(FILESTORE_PREFIX))
      .reduce((sum, [, member]) => sum + member.size, 0);
    manifest = {
      ...input.manifest,
      saas: { format: 1, createdAt, dumpBytes, filestoreFiles: files.length, filestoreBytes, members },
    };
    // Odoo writes its manifest with json.dump(indent=4).
    callback(null, Readable.from([Buffer.from(JSON.stringify(manifest, null, 4))]));
  });
  zip.end();

  try {
    await pipeline(zip.outputStream as Readable, out);
  } catch (err) {
    throw failure ?? err;
  }
  if (failure) throw failure;
  if (!manifest) throw new Error('The archive ended before its manifest was written.');
  return { manifest, skipped };
}
