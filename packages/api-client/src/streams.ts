// Readers for the API's streaming responses (Server-Sent Events and plain text logs).
// EventSource cannot send the Authorization header, so these read a fetch body instead:
// call the typed client with `parseAs: 'stream'` and hand the body here.

export interface ServerSentEvent {
  /** The `event:` field; "message" when the server sent none. */
  event: string;
  data: string;
  id: string | null;
}

/**
 * Parses a `text/event-stream` body (WHATWG HTML §9.2) and calls `onEvent` for every dispatched event.
 * Resolves when the stream ends; rejects when reading fails (network drop) or `signal` aborts.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  let eventType = '';
  let data: string[] = [];
  let lastId: string | null = null;

  const dispatch = () => {
    if (data.length > 0) onEvent({ event: eventType || 'message', data: data.join('\n'), id: lastId });
    eventType = '';
    data = [];
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return; // comment / keep-alive
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventType = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
  };

  await readLines(body, line, signal);
}

/**
 * Reads a text body chunk by chunk (UTF-8, split characters handled) until it ends or `signal` aborts.
 */
export async function readText(body: ReadableStream<Uint8Array>, onText: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text) onText(text);
    }
    const rest = decoder.decode();
    if (rest) onText(rest);
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock();
  }
}

/** Splits a text body into lines (LF, CRLF or CR), keeping a partial last line until it completes. */
async function readLines(body: ReadableStream<Uint8Array>, onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  let buffer = '';
  let skipLf = false;
  await readText(
    body,
    (text) => {
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (skipLf) {
          skipLf = false;
          if (ch === '\n') {
            start = i + 1;
            continue;
          }
        }
        if (ch === '\n' || ch === '\r') {
          onLine(buffer.slice(start, i));
          start = i + 1;
          skipLf = ch === '\r';
        }
      }
      buffer = buffer.slice(start);
    },
    signal,
  );
}
