import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../errors/domain-error.js';
import { type BackupStorage, type BackupStorageSettings, createBackupStorage } from './backup-storage.js';
import { BackupDecryptionError } from './encryption.js';

// s3rver ships no types; this is the little of it the tests use.
type S3rverInstance = { callback(): (req: unknown, res: unknown) => void };
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rverInstance;

const BUCKET = 'backups';
const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let workDir: string;
let s3Dir: string;
let server: Server;
let endpoint: string;
/** Requests the S3 server received, to see which calls the driver made. */
const s3Requests: string[] = [];

/**
 * A real S3-compatible server (s3rver) on 127.0.0.1. s3rver implements multipart uploads but not
 * AbortMultipartUpload; the wrapper fills in that one call the way S3 does it (dropping the upload's
 * parts), so the driver's abort path runs against something observable.
 */
beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'backup-storage-'));
  s3Dir = path.join(workDir, 's3');
  const handler = new S3rver({ directory: s3Dir, silent: true }).callback();
  server = createServer((req, res) => {
    s3Requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'DELETE' && uploadId && /^[0-9a-f]+$/.test(uploadId)) {
      const bucket = url.pathname.split('/')[1] ?? '';
      rm(path.join(s3Dir, bucket, '._S3rver_uploads', uploadId), { recursive: true, force: true }).then(() => res.writeHead(204).end());
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3Credentials });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const operatorKey = randomBytes(32);

const drivers: { name: string; settings: (prefix: string) => BackupStorageSettings }[] = [
  { name: 'local', settings: (prefix) => ({ driver: 'local', dir: path.join(workDir, 'local', prefix), encryptionKey: operatorKey }) },
  {
    name: 's3',
    settings: (prefix) => ({
      driver: 's3',
      endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      prefix,
      ...s3Credentials,
      partSize: 5 * MiB,
      encryptionKey: operatorKey,
    }),
  },
];

/** A body that delivers `size` random bytes in 1 MiB chunks (and fails after `failAfter` bytes, if given). */
function randomBody(size: number, failAfter?: number) {
  const data = randomBytes(size);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) return this.destroy(new Error('source failed midway'));
      if (sent >= size) return this.push(null);
      this.push(data.subarray(sent, sent + MiB));
      sent += MiB;
    },
  });
  return { data, stream };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe.each(drivers)('$name backup storage', ({ name, settings }) => {
  let storage: BackupStorage;
  let prefixCount = 0;
  // Each test gets its own environment prefix, so tests do not see each other's objects.
  const fresh = (encryptionKey: Buffer | null = operatorKey) => {
    storage = createBackupStorage({ ...settings(`env${++prefixCount}`), encryptionKey });
    return storage;
  };

  it('stores and returns a body, with the plaintext checksum and the stored size', async () => {
    const store = fresh();
    expect(store.kind).toBe(name);
    const plain = Buffer.from('a small backup');
    const result = await store.put('inst-1/bk-1.zip', Readable.from([plain]), {});
    expect(result.sha256).toBe(sha256(plain));
    expect(result.size).toBeGreaterThan(plain.length); // ciphertext: header and tag
    expect(await store.head('inst-1/bk-1.zip')).toEqual({ size: result.size });
    expect((await buffer(await store.get('inst-1/bk-1.zip'))).equals(plain)).toBe(true);
  });

  it('streams a 20 MiB body through and back with a matching checksum', async () => {
    const store = fresh();
    const { data, stream } = randomBody(20 * MiB);
    const result = await store.put('inst-1/big.zip', stream, { sha256: sha256(data) });
    expect(result.sha256).toBe(sha256(data));
    const back = await buffer(await store.get('inst-1/big.zip'));
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
    if (name === 's3') expect(s3Requests.some((r) => r.startsWith('POST') && r.includes('uploads'))).toBe(true);
  });

  it('stores ciphertext, and plaintext only when no key is configured', async () => {
    const plain = Buffer.from('PK\x03\x04 tenant data '.repeat(100));
    const encrypted = fresh();
    await encrypted.put('i/a.zip', Readable.from([plain]), {});
    const plainStore = fresh(null);
    const result = await plainStore.put('i/a.zip', Readable.from([plain]), {});
    expect(result.size).toBe(plain.length);
    expect((await buffer(await plainStore.get('i/a.zip'))).equals(plain)).toBe(true);
    if (name === 'local') {
      const localDir = path.join(workDir, 'local', `env${prefixCount - 1}`);
      expect((await readFile(path.join(localDir, 'i', 'a.zip'))).includes('tenant data')).toBe(false);
    }
  });

  it('lists by prefix, reports head and deletes idempotently', async () => {
    const store = fresh();
    for (const key of ['inst-1/a.zip', 'inst-1/b.zip', 'inst-12/c.zip', 'inst-2/d.zip']) {
      await store.put(key, Readable.from([Buffer.from(key)]), {});
    }
    expect((await store.list('inst-1/')).map((o) => o.key)).toEqual(['inst-1/a.zip', 'inst-1/b.zip']);
    expect((await store.list('inst-1')).map((o) => o.key)).toEqual(['inst-1/a.zip', 'inst-1/b.zip', 'inst-12/c.zip']);
    const all = await store.list('');
    expect(all).toHaveLength(4);
    expect(all[0]?.modifiedAt).toBeInstanceOf(Date);
    expect(all[0]?.size).toBe((await store.head('inst-1/a.zip'))?.size);
    await store.delete('inst-1/a.zip');
    await store.delete('inst-1/a.zip');
    expect(await store.head('inst-1/a.zip')).toBeNull();
    expect((await store.list('inst-1/')).map((o) => o.key)).toEqual(['inst-1/b.zip']);
    const missing = await refusal(store.get('inst-1/a.zip'));
    expect(missing).toBeInstanceOf(DomainError);
    expect((missing as DomainError).kind).toBe('not_found');
  });

  it('keeps environments apart by prefix', async () => {
    const a = fresh();
    const b = fresh();
    await a.put('inst/x.zip', Readable.from([Buffer.from('a')]), {});
    expect(await b.list('')).toEqual([]);
    expect(await b.head('inst/x.zip')).toBeNull();
  });

  it.each([
    '../etc/passwd',
    '/abs/key.zip',
    'inst/../other.zip',
    'inst//x.zip',
    'inst/.hidden',
    'inst/x.zip/',
    '',
    'inst/x y.zip',
    'inst\\x.zip',
    'inst/x\0.zip',
    'ünï/x.zip',
  ])('refuses the key %j', async (key) => {
    const store = fresh();
    for (const call of [
      () => store.put(key, Readable.from([Buffer.from('x')]), {}),
      () => store.get(key),
      () => store.head(key),
      () => store.delete(key),
    ]) {
      const error = await refusal(call());
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('invalid_backup_key');
    }
  });

  it('refuses list prefixes that escape', async () => {
    const store = fresh();
    for (const prefix of ['../', '/', 'a/../', '..']) {
      expect(((await refusal(store.list(prefix))) as DomainError).code).toBe('invalid_backup_key');
    }
  });

  it('leaves no object when the body fails midway', async () => {
    const store = fresh();
    const before = s3Requests.length;
    const { stream } = randomBody(20 * MiB, 16 * MiB);
    const error = await refusal(store.put('inst-1/broken.zip', stream, {}));
    expect((error as Error).message).toMatch(/source failed midway/);
    expect(await store.list('')).toEqual([]);
    expect(await store.head('inst-1/broken.zip')).toBeNull();
    if (name === 'local') {
      // Not even a temp file stays behind.
      const dir = path.join(workDir, 'local', `env${prefixCount}`, 'inst-1');
      expect(await readdir(dir)).toEqual([]);
    } else {
      // Parts were uploaded, then the multipart upload was aborted, so the server holds none of them.
      const calls = s3Requests.slice(before);
      expect(calls.some((r) => r.startsWith('PUT') && r.includes('partNumber=2'))).toBe(true);
      expect(calls.some((r) => r.startsWith('DELETE') && r.includes('uploadId='))).toBe(true);
      expect(await readdir(path.join(s3Dir, BUCKET, '._S3rver_uploads')).catch(() => [])).toEqual([]);
    }
  });

  it('refuses a body whose checksum does not match, and stores nothing', async () => {
    const store = fresh();
    for (const size of [1000, 12 * MiB]) {
      const { stream } = randomBody(size);
      const error = await refusal(store.put('inst-1/x.zip', stream, { sha256: '0'.repeat(64) }));
      expect((error as DomainError).code).toBe('backup_checksum_mismatch');
      expect(await store.list('')).toEqual([]);
    }
  });

  it('replaces an existing object atomically', async () => {
    const store = fresh();
    await store.put('inst/x.zip', Readable.from([Buffer.from('first')]), {});
    await refusal(store.put('inst/x.zip', randomBody(3 * MiB, 2 * MiB).stream, {}));
    expect((await buffer(await store.get('inst/x.zip'))).toString()).toBe('first');
    await store.put('inst/x.zip', Readable.from([Buffer.from('second')]), {});
    expect((await buffer(await store.get('inst/x.zip'))).toString()).toBe('second');
  });

  it('refuses to read with another key', async () => {
    const prefix = `env${++prefixCount}`;
    const writer = createBackupStorage({ ...settings(prefix), encryptionKey: operatorKey });
    await writer.put('inst/x.zip', Readable.from([randomBytes(5000)]), {});
    const reader = createBackupStorage({ ...settings(prefix), encryptionKey: randomBytes(32) });
    const error = await refusal(reader.get('inst/x.zip').then((stream) => buffer(stream)));
    expect(error).toBeInstanceOf(BackupDecryptionError);
    expect((error as BackupDecryptionError).reason).toBe('wrong_key');
  });
});
