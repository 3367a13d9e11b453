import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Every address a host name resolves to (the system resolver: Docker's embedded DNS in a container). */
export type ResolveAll = (host: string) => Promise<string[]>;

const systemResolveAll: ResolveAll = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/**
 * nginx resolves an upstream's host name when it loads its config, and keeps those addresses until the next
 * reload. The API's address from an edge container is a service name (`api:3000`) whose tasks change address
 * when they are replaced (a rolling update, a restart on another node): without a reload the edge keeps sending
 * requests to tasks that are gone. This watch resolves the name every `everyMs` and calls `onChange` when the set
 * of addresses differs from the last one seen (not on the first lookup: nginx loaded that one). A failed lookup
 * (DNS away, no task yet) is not a change: the last addresses are kept. An IP address is never watched.
 */
export function watchUpstreamAddresses(options: {
  /** `host:port` as the edge's settings hold it. */
  upstream: string;
  everyMs: number;
  onChange: (addresses: string[]) => Promise<void>;
  onError?: (error: unknown) => void;
  resolveAll?: ResolveAll;
}): { stop(): void; check(): Promise<void> } {
  const host = options.upstream.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const resolveAll = options.resolveAll ?? systemResolveAll;
  let last: string | undefined;
  let running: Promise<void> | null = null;

  const checkOnce = async () => {
    let addresses: string[];
    try {
      addresses = [...new Set(await resolveAll(host))].sort();
    } catch {
      return;
    }
    if (addresses.length === 0) return;
    const key = addresses.join(',');
    const changed = last !== undefined && key !== last;
    last = key;
    if (changed) await options.onChange(addresses);
  };
  // One check at a time: a slow reload must not pile up behind the timer.
  const check = () => {
    running ??= checkOnce()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = null;
      });
    return running;
  };

  if (isIP(host) !== 0) return { stop() {}, check: async () => {} };
  void check();
  const timer = setInterval(() => void check(), options.everyMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    check,
  };
}
