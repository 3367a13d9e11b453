import { ApiProblem, readServerSentEvents } from '@saas/api-client';
import { useEffect, useRef, useState } from 'react';

/** How a page is following something: the event stream, or polling when the stream keeps failing. */
export type LiveMode = 'idle' | 'connecting' | 'live' | 'polling';

/** What an openapi-fetch call resolves to, reduced to what following needs. */
interface Fetched<D> {
  data?: D | null;
  error?: unknown;
  response: Response;
}

/** One followed resource: how to open its event stream, how to read it once, and what to do with a new state. */
export interface LiveSource<T> {
  /** The SSE event type whose data is the new state. */
  event: string;
  /** Opens the stream (`parseAs: 'stream'`, `accept: text/event-stream`). */
  openStream: (signal: AbortSignal) => Promise<Fetched<ReadableStream<Uint8Array>>>;
  /** Reads the state once, for polling. */
  read: (signal: AbortSignal) => Promise<Fetched<T>>;
  /** Puts a new state in the cache. */
  apply: (state: T) => void;
  /** Whether there is still something to follow once a stream ended. */
  stillActive: () => boolean;
  /** On a 404 (the resource is gone); without it a 404 counts as a failure. */
  onGone?: () => void;
}

const POLL_MS = 2_000;
const MAX_STREAM_FAILURES = 3;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows a resource while `follow` is true: reads its Server-Sent Events through fetch (so the Bearer
 * token goes along and a 401 refreshes it), reopens a stream the server ended while work is still going
 * on, backs off after failures, and after repeated failures polls every 2 s instead. `subject` (e.g. the
 * instance id) restarts the following when it changes; `source` is read fresh on each use.
 */
export function useLiveStream<T>(subject: string, follow: boolean, source: LiveSource<T>): LiveMode {
  const [mode, setMode] = useState<LiveMode>('idle');
  const sourceRef = useRef(source);
  sourceRef.current = source;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the source is read through a ref; a new subject restarts the following
  useEffect(() => {
    if (!follow) {
      setMode('idle');
      return;
    }
    const controller = new AbortController();
    const { signal } = controller;
    const src = () => sourceRef.current;
    // Returns true when the resource is gone (handled): the caller stops.
    const gone = (response: Response) => {
      const onGone = src().onGone;
      if (response.status !== 404 || !onGone) return false;
      onGone();
      return true;
    };

    async function poll() {
      setMode('polling');
      while (!signal.aborted && src().stillActive()) {
        try {
          const { data, response, error } = await src().read(signal);
          if (gone(response)) return;
          if (!response.ok || !data) throw ApiProblem.from(error, response);
          src().apply(data);
        } catch {
          // Keep polling through blips; the page shows the last known state.
        }
        await sleep(POLL_MS, signal);
      }
      if (!signal.aborted) setMode('idle');
    }

    async function stream() {
      let failures = 0;
      while (!signal.aborted) {
        setMode('connecting');
        let received = 0;
        try {
          const { data, response, error } = await src().openStream(signal);
          if (gone(response)) return;
          if (!response.ok || !data) throw ApiProblem.from(error, response);
          setMode('live');
          await readServerSentEvents(
            data,
            (event) => {
              if (event.event !== src().event) return;
              received++;
              src().apply(JSON.parse(event.data) as T);
            },
            signal,
          );
        } catch {
          if (signal.aborted) return;
        }
        if (!src().stillActive()) {
          setMode('idle');
          return;
        }
        // A stream that delivered something and then ended (server time limit, proxy) is reopened at once;
        // one that failed or ended empty counts towards falling back to polling.
        failures = received > 0 ? 0 : failures + 1;
        if (failures >= MAX_STREAM_FAILURES) return poll();
        await sleep(failures === 0 ? 500 : 1_000 * 2 ** (failures - 1), signal);
      }
    }

    void stream();
    return () => controller.abort();
  }, [subject, follow]);

  return mode;
}
