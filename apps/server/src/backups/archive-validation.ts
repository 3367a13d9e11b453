import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { DomainError } from '../errors/domain-error.js';
import {
  DUMP_MEMBER,
  FILESTORE_PREFIX,
  isSafeRelativePath,
  MANIFEST_MEMBER,
  type OdooManifest,
  odooManifestSchema,
} from './archive-format.js';

export type ArchiveRefusalCode =
  | 'archive_unreadable'
  | 'archive_path_unsafe'
  | 'archive_entry_not_regular'
  | 'archive_entry_encrypted'
  | 'archive_duplicate_member'
  | 'archive_unexpected_member'
  | 'archive_too_many_members'
  | 'archive_member_too_large'
  | 'archive_too_large'
  | 'archive_ratio_exceeded'
  | 'archive_size_mismatch'
  | 'archive_dump_missing'
  | 'archive_manifest_missing'
  | 'archive_manifest_invalid'
  | 'archive_checksum_mismatch'
  | 'archive_version_incompatible';

/** An uploaded or stored archive we will not restore; a 4xx with a stable code through the problem handler. */
export class ArchiveRefused extends DomainError {
  constructor(
    public override readonly code: ArchiveRefusalCode,
    message: string,
  ) {
    super('invalid', code, message);
    this.name = 'ArchiveRefused';
  }
}

export interface ArchiveLimits {
  maxMembers: number;
  maxMemberBytes: number;
  maxTotalBytes: number;
  /** Uncompressed/compressed bound, applied to members over `ratioFloorBytes` and to the whole archive. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxManifestBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMembers: 500_000,
  maxMemberBytes: 50 * 2 ** 30,
  maxTotalBytes: 100 * 2 ** 30,
  // SQL dumps deflate 5–20×; bombs reach 1000× and more.
  maxRatio: 200,
  ratioFloorBytes: 2 ** 20,
  maxManifestBytes: 64 * 2 ** 20,
};

export interface ArchiveMember {
  name: string;
  size: number;
  sha256: string;
}

export interface ArchiveInspection {
  manifest: OdooManifest;
  /** Regular files, in archive order, with their actual inflated size and SHA-256. */
  members: ArchiveMember[];
  dumpSize: number;
  filestoreFiles: number;
  filestoreBytes: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const DOS_DIRECTORY = 0x10;

interface CheckedEntry {
  entry: Entry;
  name: string;
  isDirectory: boolean;
}

/** Checks one central-directory record: name, type, encryption, header sizes. */
function checkEntry(entry: Entry, limits: ArchiveLimits): CheckedEntry {
  // decodeStrings is off, so the raw bytes are checked: only ASCII names pass isSafeRelativePath anyway.
  const raw = entry.fileName as unknown as Buffer;
  const full = raw.toString('latin1');
  const isDirectory = full.endsWith('/');
  const name = isDirectory ? full.slice(0, -1) : full;
  if (!isSafeRelativePath(name)) throw new ArchiveRefused('archive_path_unsafe', `Unsafe path in archive: ${JSON.stringify(full)}.`);
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const type = mode & S_IFMT;
  const dosDirectory = (entry.externalFileAttributes & DOS_DIRECTORY) !== 0;
  const regular = isDirectory ? type === 0 || type === S_IFDIR : (type === 0 && !dosDirectory) || type === S_IFREG;
  if (!regular) {
    throw new ArchiveRefused('archive_entry_not_regular', `${full} is not a regular file (a symlink or special file).`);
  }
  if (entry.isEncrypted()) throw new ArchiveRefused('archive_entry_encrypted', `${full} is encrypted.`);
  if (!entry.canDecodeFileData()) throw new ArchiveRefused('archive_unreadable', `${full} uses an unsupported compression.`);
  if (name !== DUMP_MEMBER && name !== MANIFEST_MEMBER && name !== 'filestore' && !name.startsWith(FILESTORE_PREFIX)) {
    throw new ArchiveRefused('archive_unexpected_member', `${full} is not part of an Odoo backup (dump.sql, manifest.json, filestore/).`);
  }
  if (((name === DUMP_MEMBER || name === MANIFEST_MEMBER) && isDirectory) || (name === 'filestore' && !isDirectory)) {
    throw new ArchiveRefused('archive_unexpected_member', `${full} has the wrong type.`);
  }
  if (entry.uncompressedSize > limits.maxMemberBytes) {
    throw new ArchiveRefused('archive_member_too_large', `${full} is larger than ${limits.maxMemberBytes} bytes.`);
  }
  if (name === MANIFEST_MEMBER && entry.uncompressedSize > limits.maxManifestBytes) {
    throw new ArchiveRefused('archive_manifest_invalid', 'manifest.json is too large.');
  }
  if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize / Math.max(entry.compressedSize, 1) > limits.maxRatio) {
    throw new ArchiveRefused('archive_ratio_exceeded', `${full} inflates more than ${limits.maxRatio}× (a zip bomb?).`);
  }
  return { entry, name, isDirectory };
}

/** Reads the whole central directory and refuses the archive before any data is inflated. */
async function readCentralDirectory(path: string, limits: ArchiveLimits): Promise<{ zip: ZipFile; entries: CheckedEntry[] }> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(new ArchiveRefused('archive_unreadable', `Not a readable zip archive: ${err.message}.`)) : resolve(z),
    ),
  );
  try {
    if (zip.entryCount > limits.maxMembers) {
      throw new ArchiveRefused('archive_too_many_members', `The archive has ${zip.entryCount} members (at most ${limits.maxMembers}).`);
    }
    const entries: CheckedEntry[] = [];
    const files = new Set<string>();
    const directories = new Set<string>();
    let total = 0;
    let compressed = 0;
    try {
      for await (const entry of zip.eachEntry()) entries.push(checkEntry(entry, limits));
    } catch (err) {
      if (err instanceof ArchiveRefused) throw err;
      throw new ArchiveRefused('archive_unreadable', `Corrupt zip archive: ${(err as Error).message}.`);
    }
    for (const { entry, name, isDirectory } of entries) {
      if (files.has(name) || (!isDirectory && directories.has(name))) {
        throw new ArchiveRefused('archive_duplicate_member', `${name} appears more than once in the archive.`);
      }
      if (isDirectory) directories.add(name);
      else files.add(name);
      // A file must not also be a parent directory of another member.
      for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) directories.add(name.slice(0, i));
      total += entry.uncompressedSize;
      compressed += entry.compressedSize;
    }
    for (const dir of directories) {
      if (files.has(dir)) throw new ArchiveRefused('archive_duplicate_member', `${dir} is both a file and a directory.`);
    }
    if (total > limits.maxTotalBytes)
      throw new ArchiveRefused('archive_too_large', `The archive inflates to more than ${limits.maxTotalBytes} bytes.`);
    if (total > limits.ratioFloorBytes && total / Math.max(compressed, 1) > limits.maxRatio) {
      throw new ArchiveRefused('archive_ratio_exceeded', `The archive inflates more than ${limits.maxRatio}× (a zip bomb?).`);
    }
    if (!files.has(DUMP_MEMBER)) throw new ArchiveRefused('archive_dump_missing', 'The archive has no dump.sql.');
    if (!files.has(MANIFEST_MEMBER)) throw new ArchiveRefused('archive_manifest_missing', 'The archive has no manifest.json.');
    return { zip, entries };
  } catch (err) {
    zip.close();
    throw err;
  }
}

function parseManifest(bytes: Buffer): OdooManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ArchiveRefused('archive_manifest_invalid', 'manifest.json is not valid JSON.');
  }
  const parsed = odooManifestSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new ArchiveRefused('archive_manifest_invalid', `manifest.json is not an Odoo backup manifest (check: ${fields}).`);
  }
  return parsed.data;
}

/** Where inflated files go: nowhere (inspection) or a staging directory (extraction). */
type Sink = (name: string) => Promise<Writable>;

const discard: Sink = async () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** Inflates every file once, counting real bytes (headers can lie) and hashing, then checks the manifest. */
async function processArchive(
  path: string,
  options: ArchiveReadOptions,
  sink: Sink,
  onDirectory?: (name: string) => Promise<void>,
): Promise<ArchiveInspection> {
  const limits = options.limits ?? DEFAULT_ARCHIVE_LIMITS;
  const { zip, entries } = await readCentralDirectory(path, limits);
  // The manifest is read first so a wrong one or an incompatible version is refused before gigabytes are inflated.
  entries.sort((a, b) => Number(b.name === MANIFEST_MEMBER) - Number(a.name === MANIFEST_MEMBER));
  const members: ArchiveMember[] = [];
  let manifest: OdooManifest | undefined;
  let total = 0;
  try {
    for (const { entry, name, isDirectory } of entries) {
      if (isDirectory) {
        await onDirectory?.(name);
        continue;
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          total += chunk.length;
          if (size > entry.uncompressedSize || size > limits.maxMemberBytes || total > limits.maxTotalBytes) {
            callback(new ArchiveRefused('archive_size_mismatch', `${name} inflates to more than its header says.`));
            return;
          }
          hash.update(chunk);
          if (name === MANIFEST_MEMBER) chunks.push(chunk);
          callback(null, chunk);
        },
      });
      try {
        const source = await zip.openReadStreamPromise(entry);
        // yauzl re-emits inner inflate/size errors on a later tick, after pipeline has let go of the stream.
        source.on('error', () => undefined);
        await pipeline(source, meter, await sink(name));
      } catch (err) {
        if (err instanceof ArchiveRefused) throw err;
        const message = (err as Error).message;
        if (/bytes in the stream/.test(message)) throw new ArchiveRefused('archive_size_mismatch', `${name}: ${message}.`);
        throw new ArchiveRefused('archive_unreadable', `${name} cannot be inflated: ${message}.`);
      }
      if (name === MANIFEST_MEMBER) {
        manifest = parseManifest(Buffer.concat(chunks));
        if (options.targetVersion) checkCompatible(manifest, options.targetVersion);
      }
      members.push({ name, size, sha256: hash.digest('hex') });
    }
  } finally {
    zip.close();
  }
  if (!manifest) throw new ArchiveRefused('archive_manifest_missing', 'The archive has no manifest.json.');
  if (manifest.saas) verifyChecksums(manifest.saas.members, members);
  const filestore = members.filter((member) => member.name.startsWith(FILESTORE_PREFIX));
  return {
    manifest,
    members,
    dumpSize: members.find((member) => member.name === DUMP_MEMBER)?.size ?? 0,
    filestoreFiles: filestore.length,
    filestoreBytes: filestore.reduce((sum, member) => sum + member.size, 0),
  };
}

/** Our own archives list every member's SHA-256; an archive made by Odoo has no `saas` key and skips this. */
function verifyChecksums(expected: Record<string, { size: number; sha256: string }>, actual: ArchiveMember[]): void {
  const seen = actual.filter((member) => member.name !== MANIFEST_MEMBER);
  const names = new Set(seen.map((member) => member.name));
  const missing = Object.keys(expected).filter((name) => !names.has(name));
  const wrong = seen.filter((member) => expected[member.name]?.sha256 !== member.sha256 || expected[member.name]?.size !== member.size);
  if (missing.length > 0 || wrong.length > 0) {
    const first = missing[0] ?? wrong[0]?.name;
    throw new ArchiveRefused('archive_checksum_mismatch', `The archive does not match its manifest (first difference: ${first}).`);
  }
}

export interface ArchiveReadOptions {
  limits?: ArchiveLimits;
  /** The Odoo version to restore onto; a backup of another major version is refused early. */
  targetVersion?: string;
}

/** Validates an Odoo-format backup zip end to end without writing anything. */
export function inspectOdooArchive(path: string, options: ArchiveReadOptions = {}): Promise<ArchiveInspection> {
  return processArchive(path, options, discard);
}

/**
 * Extracts a validated archive into `destDir` (absent or empty): everything goes to a sibling staging
 * directory first, files are created with O_EXCL|O_NOFOLLOW (no symlink is ever created or followed),
 * and only a fully valid archive is renamed into place; on any refusal the staging directory is removed.
 */
export async function extractOdooArchive(path: string, destDir: string, options: ArchiveReadOptions = {}): Promise<ArchiveInspection> {
  const existing = await readdir(destDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (existing.length > 0) throw new Error(`Extraction target ${destDir} is not empty.`);
  await mkdir(dirname(destDir), { recursive: true });
  const staging = await mkdtemp(join(dirname(destDir), `.${basename(destDir)}.partial-`));
  const sink: Sink = async (name) => {
    const target = join(staging, name);
    await mkdir(dirname(target), { recursive: true });
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(target, flags, 0o644);
    return handle.createWriteStream();
  };
  try {
    const result = await processArchive(path, options, sink, (name) =>
      mkdir(join(staging, name), { recursive: true }).then(() => undefined),
    );
    // rename(2) replaces an empty directory; remove it first anyway so a racing file shows as an error.
    await rmdir(destDir).catch(() => undefined);
    await rename(staging, destDir);
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Odoo restores only onto its own major version ('17.0' onto 17.0; not onto 18.0, which needs an upgrade). */
export function checkCompatible(manifest: Pick<OdooManifest, 'major_version'>, targetVersion: string): void {
  const target = /^(saas~)?\d+\.\d+/.exec(targetVersion)?.[0];
  if (!target || manifest.major_version !== target) {
    throw new ArchiveRefused(
      'archive_version_incompatible',
      `This backup is from Odoo ${manifest.major_version} and cannot be restored onto Odoo ${targetVersion}.`,
    );
  }
}
