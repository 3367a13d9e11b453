import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BackupDecryptionError, createDecryptStream, createEncryptStream, HEADER_BYTES, parseEncryptionKey } from './encryption.js';

const key = randomBytes(32);
const RECORD = 1024; // small records so tests cross many record boundaries cheaply
const SEALED = RECORD + 16;

/** Feeds `data` in uneven chunks, as a network or file stream would. */
function chunked(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0, step = 1; offset < data.length; offset += step, step = ((step * 7 + 3) % 3001) + 1)
    parts.push(data.subarray(offset, offset + step));
  return Readable.from(parts);
}

const encrypt = (plain: Buffer, recordBytes = RECORD) => buffer(chunked(plain).pipe(createEncryptStream(key, recordBytes)));

async function decrypt(sealed: Buffer, withKey: Buffer | Buffer[] = key): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(chunked(sealed), createDecryptStream(withKey), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

async function refusal(sealed: Buffer, withKey = key): Promise<BackupDecryptionError> {
  const error = await decrypt(sealed, withKey).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackupDecryptionError);
  return error as BackupDecryptionError;
}

describe('backup encryption', () => {
  it.each([0, 1, RECORD - 1, RECORD, RECORD + 1, 3 * RECORD, 50_000])('round-trips %i bytes', async (size) => {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain);
    // Header, then one sealed record per started record (at least one: an empty body still gets a final record).
    expect(sealed.length).toBe(HEADER_BYTES + size + 16 * Math.max(1, Math.ceil(size / RECORD)));
    expect((await decrypt(sealed)).equals(plain)).toBe(true);
  });

  it('round-trips with the default 64 KiB records', async () => {
    const plain = randomBytes(300_000);
    const sealed = await buffer(Readable.from([plain]).pipe(createEncryptStream(key)));
    expect(
      createHash('sha256')
        .update(await decrypt(sealed))
        .digest('hex'),
    ).toBe(createHash('sha256').update(plain).digest('hex'));
  });

  it('uses a fresh salt per object, so equal plaintexts give unrelated ciphertexts', async () => {
    const plain = Buffer.alloc(5000, 7);
    const [a, b] = await Promise.all([encrypt(plain), encrypt(plain)]);
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
    expect(a.includes(plain.subarray(0, 64))).toBe(false);
  });

  it('refuses a wrong key as such', async () => {
    const sealed = await encrypt(randomBytes(3000));
    const error = await refusal(sealed, randomBytes(32));
    expect(error.reason).toBe('wrong_key');
  });

  it('reads with any key of a rotation (the current one and those it replaced), and no other', async () => {
    const plain = randomBytes(3000);
    const sealed = await encrypt(plain);
    expect((await decrypt(sealed, [randomBytes(32), key])).equals(plain)).toBe(true);
    const error = await decrypt(sealed, [randomBytes(32), randomBytes(32)]).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'wrong_key' });
  });

  it('refuses any flipped byte, in the header or in a record', async () => {
    const sealed = await encrypt(randomBytes(3 * RECORD + 10));
    for (const offset of [0, 8, 12, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + SEALED + 5, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      const error = await refusal(tampered);
      expect(['not_encrypted', 'unsupported_version', 'wrong_key', 'corrupt']).toContain(error.reason);
    }
  });

  it('refuses a stream truncated at a record boundary, inside a record or inside the header', async () => {
    const sealed = await encrypt(randomBytes(3 * RECORD + 10));
    expect((await refusal(sealed.subarray(0, HEADER_BYTES + 2 * SEALED))).reason).toBe('corrupt');
    expect((await refusal(sealed.subarray(0, sealed.length - 1))).reason).toBe('corrupt');
    expect((await refusal(sealed.subarray(0, HEADER_BYTES + 5))).reason).toBe('truncated');
    expect((await refusal(sealed.subarray(0, 10))).reason).toBe('truncated');
    expect((await refusal(Buffer.alloc(0))).reason).toBe('truncated');
  });

  it('refuses reordered or duplicated records', async () => {
    const sealed = await encrypt(randomBytes(3 * RECORD + 10));
    const header = sealed.subarray(0, HEADER_BYTES);
    const record = (i: number) => sealed.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const tail = sealed.subarray(HEADER_BYTES + 3 * SEALED);
    expect((await refusal(Buffer.concat([header, record(1), record(0), record(2), tail]))).reason).toBe('corrupt');
    expect((await refusal(Buffer.concat([header, record(0), record(0), record(1), record(2), tail]))).reason).toBe('corrupt');
    // A non-final record cannot stand in for the final one.
    expect((await refusal(Buffer.concat([header, record(0), record(1), record(2)]))).reason).toBe('corrupt');
  });

  it('refuses plaintext that was never encrypted', async () => {
    expect((await refusal(Buffer.from('PK\x03\x04'.padEnd(500, 'x')))).reason).toBe('not_encrypted');
  });

  it('emits nothing of a record that fails authentication', async () => {
    const sealed = await encrypt(randomBytes(RECORD * 2 + 1));
    sealed[HEADER_BYTES + 3] = (sealed[HEADER_BYTES + 3] ?? 0) ^ 0xff;
    const received: Buffer[] = [];
    await expect(
      pipeline(Readable.from([sealed]), createDecryptStream(key), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) received.push(chunk);
      }),
    ).rejects.toBeInstanceOf(BackupDecryptionError);
    expect(received).toEqual([]);
  });

  it('parses the configured key from hex or base64 and refuses other lengths', () => {
    const raw = randomBytes(32);
    expect(parseEncryptionKey(raw.toString('hex')).equals(raw)).toBe(true);
    expect(parseEncryptionKey(raw.toString('base64')).equals(raw)).toBe(true);
    expect(() => parseEncryptionKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => createEncryptStream(randomBytes(31))).toThrow(/32 bytes/);
  });
});
