import { createWriteStream } from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tooLarge } from '../errors/domain-error.js';

/**
 * Writes an uploaded body to `file` (created new, readable by the platform only), refusing it as soon as it
 * passes `maxBytes`: the request is not read further and the partial file is left for the caller to remove.
 */
export async function receiveUpload(body: Readable, file: string, maxBytes: number): Promise<number> {
  let received = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        callback(tooLarge('upload_too_large', `The archive is larger than the ${Math.round(maxBytes / 2 ** 20)} MiB allowed for uploads.`));
        return;
      }
      callback(null, chunk);
    },
  });
  await pipeline(body, limit, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return received;
}
