import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractOdooArchive, inspectOdooArchive } from './archive-validation.js';
import { buildManifest, writeOdooArchive } from './odoo-archive.js';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'odoo-archive-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifest = () =>
  buildManifest({
    dbName: 'acme',
    versionInfo: [17, 0, 0, 'final', 0, ''],
    serverVersionNum: 160004,
    modules: { base: '17.0.1.3', web: '17.0.1.0' },
  });

/** A small filestore laid out as Odoo's (<2-char dir>/<sha1>), plus things a backup must not follow. */
async function makeFilestore(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const content of ['first attachment', 'second attachment', 'third, in another dir']) {
    const hash = createHash('sha1').update(content).digest('hex');
    await mkdir(join(dir, 'filestore', hash.slice(0, 2)), { recursive: true });
    await writeFile(join(dir, 'filestore', hash.slice(0, 2), hash), content);
    files.set(`filestore/${hash.slice(0, 2)}/${hash}`, sha256(content));
  }
  await writeFile(join(dir, 'secret'), 'outside the filestore');
  await symlink(join(dir, 'secret'), join(dir, 'filestore', 'leak'));
  return files;
}

describe('buildManifest', () => {
  it("writes the keys of Odoo dump_db_manifest with Odoo's own formatting", () => {
    expect(manifest()).toEqual({
      odoo_dump: '1',
      db_name: 'acme',
      version: '17.0',
      version_info: [17, 0, 0, 'final', 0, ''],
      major_version: '17.0',
      pg_version: '16.0',
      modules: { base: '17.0.1.3', web: '17.0.1.0' },
    });
    const rc = buildManifest({ dbName: 'x', versionInfo: ['saas~17', 2, 0, 'candidate', 1, ''], serverVersionNum: 90603, modules: {} });
    expect(rc).toMatchObject({ version: 'saas~17.2rc1', major_version: 'saas~17.2', pg_version: '9.6' });
  });
});

describe('writeOdooArchive', () => {
  it('round-trips write → inspect → extract with identical checksums', async () => {
    const filestore = await makeFilestore();
    const dump = `-- PostgreSQL database dump\n${'INSERT INTO t VALUES (1);\n'.repeat(5000)}`;
    await writeFile(join(dir, 'dump.sql'), dump);
    const zipPath = join(dir, 'backup.zip');
    const written = await writeOdooArchive(
      { dumpSql: join(dir, 'dump.sql'), filestoreDir: join(dir, 'filestore'), manifest: manifest(), now: new Date('2026-01-02T03:04:05Z') },
      createWriteStream(zipPath),
    );
    expect(written.skipped).toEqual(['leak']);
    expect(written.manifest.saas).toMatchObject({
      format: 1,
      createdAt: '2026-01-02T03:04:05.000Z',
      dumpBytes: Buffer.byteLength(dump),
      filestoreFiles: 3,
    });
    expect(written.manifest.saas.members['dump.sql']?.sha256).toBe(sha256(dump));

    const inspected = await inspectOdooArchive(zipPath, { targetVersion: '17.0' });
    expect(inspected.manifest).toEqual(written.manifest);
    expect(inspected.dumpSize).toBe(Buffer.byteLength(dump));
    expect(inspected.filestoreFiles).toBe(3);
    expect(inspected.members.map((m) => m.name).sort()).toEqual(['dump.sql', ...filestore.keys(), 'manifest.json'].sort());

    const dest = join(dir, 'restored');
    await extractOdooArchive(zipPath, dest);
    expect(sha256(await readFile(join(dest, 'dump.sql')))).toBe(sha256(dump));
    for (const [name, hash] of filestore) expect(sha256(await readFile(join(dest, name)))).toBe(hash);
    expect(JSON.parse(await readFile(join(dest, 'manifest.json'), 'utf8'))).toEqual(written.manifest);
  });

  it("streams a dump given as a Readable and writes a zip that Python's zipfile (what Odoo restores with) accepts", async () => {
    const filestore = await makeFilestore();
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.from(`COPY chunk ${i}\n`.repeat(100)));
    const zipPath = join(dir, 'backup.zip');
    await writeOdooArchive(
      { dumpSql: Readable.from(chunks), filestoreDir: join(dir, 'filestore'), manifest: manifest() },
      createWriteStream(zipPath),
    );
    // The same calls as odoo/service/db.py restore_db: extract dump.sql and filestore/ members only.
    const script = [
      'import sys, zipfile, hashlib, json',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      "fs = [m for m in z.namelist() if m.startswith('filestore/')]",
      "z.extractall(sys.argv[2], ['dump.sql'] + fs)",
      "print(json.dumps({'names': z.namelist(), 'manifest': json.loads(z.read('manifest.json'))['major_version']}))",
    ].join('\n');
    const out = join(dir, 'python');
    const { stdout } = await promisify(execFile)('python3', ['-c', script, zipPath, out]);
    const result = JSON.parse(stdout) as { names: string[]; manifest: string };
    expect(result.names[0]).toBe('dump.sql');
    expect(result.manifest).toBe('17.0');
    expect(sha256(await readFile(join(out, 'dump.sql')))).toBe(sha256(Buffer.concat(chunks)));
    for (const [name, hash] of filestore) expect(sha256(await readFile(join(out, name)))).toBe(hash);
  });

  it("accepts a zip laid out by Odoo's own dump_db (zipfile, ZIP_DEFLATED, zip_dir order)", async () => {
    const filestore = await makeFilestore();
    await rm(join(dir, 'filestore', 'leak'));
    await writeFile(join(dir, 'dump.sql'), 'CREATE TABLE res_partner (id int);\n');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest(), null, 4));
    await mkdir(join(dir, 'odoo'));
    for (const name of ['dump.sql', 'manifest.json', 'filestore']) await rename(join(dir, name), join(dir, 'odoo', name));
    // odoo/tools/osutil.py zip_dir(dump_dir, stream, include_dir=False, fnct_sort=lambda f: f != 'dump.sql').
    const script = [
      'import os, sys, zipfile',
      'path = os.path.normpath(sys.argv[1]); len_prefix = len(path) + 1',
      "with zipfile.ZipFile(sys.argv[2], 'w', compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zipf:",
      '    for dirpath, dirnames, filenames in os.walk(path):',
      "        for fname in sorted(filenames, key=lambda f: f != 'dump.sql'):",
      '            p = os.path.normpath(os.path.join(dirpath, fname))',
      '            if os.path.isfile(p): zipf.write(p, p[len_prefix:])',
    ].join('\n');
    const zipPath = join(dir, 'odoo.zip');
    await promisify(execFile)('python3', ['-c', script, join(dir, 'odoo'), zipPath]);
    const inspected = await inspectOdooArchive(zipPath, { targetVersion: '17.0' });
    expect(inspected.manifest).toEqual(manifest());
    expect(inspected.filestoreFiles).toBe(3);
    await extractOdooArchive(zipPath, join(dir, 'restored'));
    for (const [name, hash] of filestore) expect(sha256(await readFile(join(dir, 'restored', name)))).toBe(hash);
  });

  it('writes an archive without filestore when the instance has none', async () => {
    const zipPath = join(dir, 'backup.zip');
    const written = await writeOdooArchive(
      { dumpSql: Readable.from([Buffer.from('SELECT 1;\n')]), filestoreDir: join(dir, 'missing'), manifest: manifest() },
      createWriteStream(zipPath),
    );
    expect(written.manifest.saas.filestoreFiles).toBe(0);
    expect((await inspectOdooArchive(zipPath)).members.map((m) => m.name)).toEqual(['manifest.json', 'dump.sql']);
  });

  it('fails when the dump stream fails, instead of writing a short archive', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('pg_dump exited with code 1'));
      },
    });
    await expect(
      writeOdooArchive(
        { dumpSql: failing, filestoreDir: join(dir, 'missing'), manifest: manifest() },
        createWriteStream(join(dir, 'x.zip')),
      ),
    ).rejects.toThrow('pg_dump exited with code 1');
  });
});
