import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import {
  type ArchiveLimits,
  ArchiveRefused,
  checkCompatible,
  DEFAULT_ARCHIVE_LIMITS,
  extractOdooArchive,
  inspectOdooArchive,
} from './archive-validation.js';
import { buildManifest } from './odoo-archive.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-validation-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifestJson = (version: [number, number] = [17, 0]) =>
  JSON.stringify(
    buildManifest({
      dbName: 'acme',
      versionInfo: [...version, 0, 'final', 0, ''],
      serverVersionNum: 160004,
      modules: { base: '17.0.1.3' },
    }),
  );
const FILE = 'filestore/ab/ab5e3d2c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c';

type Member = { name: string; data: Buffer | string; mode?: number };
const valid = (): Member[] => [
  { name: 'dump.sql', data: 'CREATE TABLE t (id int);\n' },
  { name: FILE, data: 'attachment' },
  { name: 'manifest.json', data: manifestJson() },
];

/** Builds an archive with yazl (which can set any mode, e.g. a symlink's). */
async function yazlArchive(members: Member[]): Promise<string> {
  const zip = new ZipFile();
  for (const m of members) zip.addBuffer(Buffer.from(m.data), m.name, m.mode ? { mode: m.mode } : {});
  zip.end();
  const path = join(dir, `a${Math.random().toString(36).slice(2)}.zip`);
  await pipeline(zip.outputStream, createWriteStream(path));
  return path;
}

type RawMember = { name: string; data: Buffer; deflate?: boolean; claimedSize?: number; attrs?: number };
/** Writes zip bytes by hand, for what yazl refuses to make: unsafe names, duplicates, lying sizes. */
async function rawArchive(members: RawMember[]): Promise<string> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'latin1');
    const body = m.deflate ? deflateRawSync(m.data) : m.data;
    const method = m.deflate ? 8 : 0;
    const size = m.claimedSize ?? m.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc32(m.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc32(m.data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((m.attrs ?? 0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  const path = join(dir, `r${Math.random().toString(36).slice(2)}.zip`);
  await writeFile(path, Buffer.concat([...locals, cd, end]));
  return path;
}
const raw = (name: string, data: Buffer | string, extra: Partial<RawMember> = {}): RawMember => ({
  name,
  data: Buffer.from(data),
  ...extra,
});
const rawValid = () => valid().map((m) => raw(m.name, m.data));

/** Both inspection and extraction refuse with `code`, and extraction leaves nothing behind. */
async function expectRefused(path: string, code: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS, targetVersion?: string) {
  await expect(inspectOdooArchive(path, { limits, targetVersion })).rejects.toMatchObject({ name: 'ArchiveRefused', code });
  const parent = join(dir, 'out');
  await expect(extractOdooArchive(path, join(parent, 'restore'), { limits, targetVersion })).rejects.toBeInstanceOf(ArchiveRefused);
  expect(await readdir(parent)).toEqual([]);
}

describe('inspectOdooArchive / extractOdooArchive', () => {
  it('accepts a well-formed archive, with and without our manifest key', async () => {
    const inspected = await inspectOdooArchive(await yazlArchive(valid()), { targetVersion: '17.0' });
    expect(inspected).toMatchObject({ dumpSize: 25, filestoreFiles: 1, filestoreBytes: 10 });
    expect(inspected.manifest.major_version).toBe('17.0');
    // Directory entries, as `zip -r` writes them, are fine.
    await expect(
      inspectOdooArchive(await rawArchive([raw('filestore/', '', { attrs: (0o040755 << 16) | 0x10 }), ...rawValid()])),
    ).resolves.toBeTruthy();
  });

  it.each([
    ['../evil.sql'],
    ['filestore/../../evil'],
    ['/etc/passwd'],
    ['filestore\\ab\\evil'],
    ['C:/evil'],
    ['filestore/./ab'],
    ['filestore//ab'],
  ])('refuses the unsafe path %s', async (name) => {
    await expectRefused(await rawArchive([...rawValid(), raw(name, 'x')]), 'archive_path_unsafe');
  });

  it('refuses symlinks and special files', async () => {
    await expectRefused(
      await yazlArchive([...valid(), { name: 'filestore/ab/link', data: '/etc/passwd', mode: 0o120777 }]),
      'archive_entry_not_regular',
    );
    await expectRefused(
      await rawArchive([...rawValid(), raw('filestore/ab/fifo', '', { attrs: 0o010644 << 16 })]),
      'archive_entry_not_regular',
    );
  });

  it('refuses too many members, oversized members and oversized totals', async () => {
    const path = await yazlArchive(valid());
    await expectRefused(path, 'archive_too_many_members', { ...DEFAULT_ARCHIVE_LIMITS, maxMembers: 2 });
    await expectRefused(path, 'archive_member_too_large', { ...DEFAULT_ARCHIVE_LIMITS, maxMemberBytes: 20 });
    await expectRefused(path, 'archive_too_large', { ...DEFAULT_ARCHIVE_LIMITS, maxTotalBytes: 100 });
  });

  it('refuses a zip bomb by its ratio', async () => {
    await expectRefused(
      await yazlArchive([...valid(), { name: 'filestore/00/bomb', data: Buffer.alloc(20 * 2 ** 20) }]),
      'archive_ratio_exceeded',
    );
  });

  it('refuses a member that inflates past the size its header claims, removing what was already extracted', async () => {
    const liar = raw('filestore/00/liar', Buffer.alloc(5 * 2 ** 20), { deflate: true, claimedSize: 100 });
    await expectRefused(await rawArchive([...rawValid(), liar]), 'archive_size_mismatch');
  });

  it('refuses duplicates and a file that is also a directory', async () => {
    await expectRefused(await rawArchive([...rawValid(), raw('dump.sql', 'DROP TABLE t;')]), 'archive_duplicate_member');
    await expectRefused(await rawArchive([...rawValid(), raw('filestore/ab', 'x')]), 'archive_duplicate_member');
  });

  it('refuses members outside dump.sql, manifest.json and filestore/', async () => {
    await expectRefused(await yazlArchive([...valid(), { name: 'evil.sh', data: 'rm -rf /' }]), 'archive_unexpected_member');
    await expectRefused(await yazlArchive([...valid(), { name: 'filestorex/ab', data: 'x' }]), 'archive_unexpected_member');
  });

  it("refuses a missing dump or manifest, and a manifest that is not Odoo's", async () => {
    await expectRefused(await yazlArchive(valid().filter((m) => m.name !== 'dump.sql')), 'archive_dump_missing');
    await expectRefused(await yazlArchive(valid().filter((m) => m.name !== 'manifest.json')), 'archive_manifest_missing');
    const withManifest = (data: string) =>
      yazlArchive([...valid().filter((m) => m.name !== 'manifest.json'), { name: 'manifest.json', data }]);
    await expectRefused(await withManifest('{not json'), 'archive_manifest_invalid');
    const { major_version: _, ...noMajor } = JSON.parse(manifestJson());
    await expectRefused(await withManifest(JSON.stringify(noMajor)), 'archive_manifest_invalid');
    await expectRefused(
      await withManifest(JSON.stringify({ ...JSON.parse(manifestJson()), version_info: '17.0' })),
      'archive_manifest_invalid',
    );
  });

  it('refuses an archive whose members differ from the checksums in its manifest', async () => {
    const saas = {
      format: 1,
      createdAt: new Date().toISOString(),
      dumpBytes: 25,
      filestoreFiles: 1,
      filestoreBytes: 10,
      members: { 'dump.sql': { size: 25, sha256: '0'.repeat(64) }, [FILE]: { size: 10, sha256: '1'.repeat(64) } },
    };
    const manifest = JSON.stringify({ ...JSON.parse(manifestJson()), saas });
    await expectRefused(
      await yazlArchive([...valid().slice(0, 2), { name: 'manifest.json', data: manifest }]),
      'archive_checksum_mismatch',
    );
  });

  it('refuses a backup of another major version, before extracting anything', async () => {
    await expectRefused(await yazlArchive(valid()), 'archive_version_incompatible', DEFAULT_ARCHIVE_LIMITS, '18.0');
  });

  it('refuses what is not a zip, and never extracts into a non-empty directory', async () => {
    const junk = join(dir, 'junk.zip');
    await writeFile(junk, 'PK not really a zip');
    await expectRefused(junk, 'archive_unreadable');
    const dest = join(dir, 'busy');
    await mkdir(dest);
    await writeFile(join(dest, 'keep'), 'x');
    await expect(extractOdooArchive(await yazlArchive(valid()), dest)).rejects.toThrow('not empty');
    expect(await readdir(dest)).toEqual(['keep']);
  });
});

describe('checkCompatible', () => {
  it('allows only the same major version', () => {
    expect(() => checkCompatible({ major_version: '17.0' }, '17.0')).not.toThrow();
    expect(() => checkCompatible({ major_version: '17.0' }, '17.0-20240709')).not.toThrow();
    expect(() => checkCompatible({ major_version: 'saas~17.2' }, 'saas~17.2')).not.toThrow();
    for (const target of ['18.0', '16.0', '17.1', 'saas~17.2', 'latest']) {
      expect(() => checkCompatible({ major_version: '17.0' }, target)).toThrow(
        expect.objectContaining({ code: 'archive_version_incompatible' }),
      );
    }
  });
});
