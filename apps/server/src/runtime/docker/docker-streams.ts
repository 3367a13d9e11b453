import { Transform, type TransformCallback } from 'node:stream';

/** Output kept from one-off containers and execs. */
export const OUTPUT_LIMIT = 64 * 1024;

/**
 * Turns the engine's multiplexed stdout/stderr stream (frames of an 8-byte header — stream type, three zero
 * bytes, big-endian length — and a payload) into plain text, both streams interleaved in arrival order.
 */
export class Demultiplexer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= 8) {
      const length = buffer.readUInt32BE(offset + 4);
      if (buffer.length - offset - 8 < length) break;
      this.push(buffer.subarray(offset + 8, offset + 8 + length));
      offset += 8 + length;
    }
    this.pending = buffer.subarray(offset);
    callback();
  }
}

export function demultiplex(buffer: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 8) {
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return Buffer.concat(parts);
}

/** Keeps the last `limit` bytes written to it. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = OUTPUT_LIMIT) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/** The last `limit` bytes of a buffer as text. */
export function tailText(buffer: Buffer, limit = OUTPUT_LIMIT): string {
  return buffer.subarray(Math.max(0, buffer.length - limit)).toString('utf8');
}
