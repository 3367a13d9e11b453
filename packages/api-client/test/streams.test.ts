import { describe, expect, it } from 'vitest';
import { readServerSentEvents, readText, type ServerSentEvent } from '../src/streams';

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
      controller.close();
    },
  });
}

describe('readServerSentEvents', () => {
  it('parses events split across chunks, with CRLF, comments and multi-line data', async () => {
    const events: ServerSentEvent[] = [];
    const body = streamOf([
      ': keep-alive\n\nevent: inst',
      'ance\ndata: {"status":"pending"}\n\n',
      'event: instance\r\ndata: {"status":\r',
      '\ndata: "running"}\r\nid: 7\r\n\r\n',
      'data: no event name\n\n',
      'event: instance\ndata: incomplete at the end',
    ]);
    await readServerSentEvents(body, (e) => events.push(e));
    expect(events).toEqual([
      { event: 'instance', data: '{"status":"pending"}', id: null },
      { event: 'instance', data: '{"status":\n"running"}', id: '7' },
      { event: 'message', data: 'no event name', id: '7' },
    ]);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('event: instance\ndata: 1\n\n'));
      },
    });
    const seen: string[] = [];
    const done = readServerSentEvents(
      body,
      (e) => {
        seen.push(e.data);
        controller.abort();
      },
      controller.signal,
    );
    await expect(done).rejects.toBeDefined();
    expect(seen).toEqual(['1']);
  });
});

describe('readText', () => {
  it('keeps multi-byte characters that are split between chunks', async () => {
    const bytes = new TextEncoder().encode('café → ok\n');
    const parts: string[] = [];
    await readText(streamOf([bytes.slice(0, 4), bytes.slice(4, 7), bytes.slice(7)]), (t) => parts.push(t));
    expect(parts.join('')).toBe('café → ok\n');
  });
});
