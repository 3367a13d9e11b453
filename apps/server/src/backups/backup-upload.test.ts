import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { receiveUpload } from './backup-upload.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch() {
  const dir = await mkdtemp(join(tmpdir(), 'upload-test-'));
  dirs.push(dir);
  return join(dir, 'upload.zip');
}

/** A body of `chunks` chunks of 64 KiB, counting how many were read. */
function body(chunks: number) {
  const read = { count: 0 };
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < chunks; i++) {
        read.count++;
        yield Buffer.alloc(65_536, i % 256);
      }
    })(),
  );
  return { stream, read };
}

describe('receiveUpload', () => {
  it('writes a body within the limit whole', async () => {
    const file = await scratch();
    const { stream } = body(4);
    expect(await receiveUpload(stream, file, 4 * 65_536)).toBe(4 * 65_536);
    expect((await readFile(file)).length).toBe(4 * 65_536);
  });

  it('refuses a body over the limit with 413 upload_too_large, without reading it to the end', async () => {
    const file = await scratch();
    const { stream, read } = body(1000);
    const error = await receiveUpload(stream, file, 2 ** 20).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'too_large', code: 'upload_too_large' });
    expect(read.count).toBeLessThan(100);
  });

  it('never writes over an existing file', async () => {
    const file = await scratch();
    await receiveUpload(body(1).stream, file, 2 ** 20);
    await expect(receiveUpload(body(1).stream, file, 2 ** 20)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
