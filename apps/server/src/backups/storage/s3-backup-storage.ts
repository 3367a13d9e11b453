import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { notFound } from '../../errors/domain-error.js';
import type { BackupStorage, S3StorageSettings } from './backup-storage.js';
import { assertValidKey, assertValidPrefix, decodeFromStorage, encodeForStorage } from './stored-object.js';

const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/**
 * Backups in S3-compatible object storage. Objects live at `<prefix>/<key>` so one bucket can serve several
 * environments. A body smaller than one part goes up with a single PutObject; larger ones use a multipart
 * upload (one part in memory at a time), which S3 only makes visible on CompleteMultipartUpload — so a
 * failed or crashed upload never shows a partial object. A failed upload is aborted; a crashed one stays
 * invisible until the bucket's lifecycle rule for incomplete multipart uploads removes it.
 */
export class S3BackupStorage implements BackupStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(
    settings: Omit<S3StorageSettings, 'driver'>,
    private readonly encryptionKey: Buffer | null,
    /** Keys that encrypted older objects (rotation): read with them, never written. */
    private readonly previousKeys: readonly Buffer[] = [],
  ) {
    this.prefix = settings.prefix.replace(/^\/+|\/+$/g, '');
    if (this.prefix) assertValidKey(this.prefix);
    this.bucket = settings.bucket;
    this.partSize = settings.partSize ?? DEFAULT_PART_BYTES;
    if (this.partSize < MIN_PART_BYTES) throw new Error(`S3 multipart parts must be at least ${MIN_PART_BYTES} bytes.`);
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      // Path-style addressing works with every S3-compatible service; virtual hosts need DNS per bucket.
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // The SDK's newer default checksums (CRC trailers) are not understood by many S3-compatible
      // servers; integrity is already covered by our SHA-256 and, when encrypted, by AES-GCM.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable, meta: { sha256?: string }) {
    const objectKey = this.objectKey(key);
    const encoded = encodeForStorage(this.encryptionKey);
    const sink = new PartSink(this.client, this.bucket, objectKey, this.partSize);
    try {
      await pipeline([body, ...encoded.transforms, sink]);
      encoded.verify(meta.sha256);
      const size = await sink.commit();
      return { size, sha256: encoded.plaintext().sha256 };
    } catch (error) {
      body.destroy();
      await sink.abort();
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return decodeFromStorage(result.Body as Readable, this.encryptionKey, this.previousKeys);
    } catch (error) {
      if (isNotFound(error)) throw notFound('Backup object');
      throw error;
    }
  }

  async head(key: string) {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: result.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string) {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async list(prefix: string) {
    assertValidPrefix(prefix);
    const base = this.prefix ? `${this.prefix}/` : '';
    const result: { key: string; size: number; modifiedAt: Date }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base + prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        result.push({ key: object.Key.slice(base.length), size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return result.sort((a, b) => a.key.localeCompare(b.key));
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

/**
 * Collects the stored bytes into parts. The first full part starts a multipart upload; a body that ends
 * before that is kept for a single PutObject on commit. Nothing becomes visible before `commit`.
 */
class PartSink extends Writable {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;
  private uploadId: string | null = null;
  /** The part upload under way; an abort waits for it, or the part would land after the abort and linger. */
  private inflight: Promise<void> | null = null;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partSize: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.total += chunk.length;
    if (this.buffered < this.partSize) return callback();
    this.inflight = this.flushParts(false);
    this.inflight.then(() => callback(), callback);
  }

  /** Uploads whole parts (all that is buffered when `all`, for the last part). */
  private async flushParts(all: boolean) {
    let data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    while (data.length >= this.partSize || (all && data.length > 0)) {
      const part = data.subarray(0, all ? data.length : this.partSize);
      data = data.subarray(part.length);
      this.uploadId ??= await this.start();
      const PartNumber = this.parts.length + 1;
      const result = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: part }),
      );
      if (!result.ETag) throw new Error(`S3 returned no ETag for part ${PartNumber} of ${this.key}.`);
      this.parts.push({ ETag: result.ETag, PartNumber });
    }
    if (data.length) {
      this.chunks = [data];
      this.buffered = data.length;
    }
  }

  private async start(): Promise<string> {
    const result = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }));
    if (!result.UploadId) throw new Error(`S3 returned no upload id for ${this.key}.`);
    return result.UploadId;
  }

  /** Makes the object visible; returns the stored size. */
  async commit(): Promise<number> {
    if (this.uploadId === null) {
      const body = Buffer.concat(this.chunks);
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: body, ContentLength: body.length }));
      return this.total;
    }
    await this.flushParts(true);
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    this.uploadId = null;
    return this.total;
  }

  /** Best effort: frees the parts of a failed upload. The caller's original error is what matters. */
  async abort() {
    this.chunks = [];
    await this.inflight?.catch(() => {});
    if (this.uploadId === null) return;
    const uploadId = this.uploadId;
    this.uploadId = null;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId })).catch(() => {});
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}
