import { request } from './nginx.js';

/** One kind of request of a load: sent to 127.0.0.1:port with this Host header; `ok` says whether the answer counts as served. */
export interface LoadTarget {
  name: string;
  port: number;
  host: string;
  path: string;
  headers?: Record<string, string>;
  ok(status: number): boolean;
}

export interface LoadSample {
  target: string;
  /** When the request was sent and answered (or failed), ms since the epoch. */
  sentAt: number;
  doneAt: number;
  status: number;
  error?: string;
}

export interface RequestLoad {
  /** Stops sending, waits for the requests in flight, and returns every sample. */
  stop(): Promise<LoadSample[]>;
}

/**
 * A bounded request load on loopback: `loops` concurrent loops, each sending one request at a time to the
 * targets in turn, `pauseMs` apart, until stopped, `maxRequests` were sent or `maxMs` passed. Each request
 * has its own connection and a 5 s timeout, so a dead upstream shows as a failure, not a hang.
 */
export function startRequestLoad(
  targets: LoadTarget[],
  options: { loops: number; pauseMs: number; maxRequests: number; maxMs: number },
): RequestLoad {
  const samples: LoadSample[] = [];
  const until = Date.now() + options.maxMs;
  let sent = 0;
  let stopped = false;
  const loop = async (offset: number) => {
    for (let i = offset; !stopped && sent < options.maxRequests && Date.now() < until; i++) {
      const target = targets[i % targets.length] as LoadTarget;
      sent++;
      const sentAt = Date.now();
      try {
        const res = await request(target.port, target.host, target.path, { headers: target.headers ?? {}, timeoutMs: 5_000 });
        samples.push({ target: target.name, sentAt, doneAt: Date.now(), status: res.status });
      } catch (err) {
        samples.push({ target: target.name, sentAt, doneAt: Date.now(), status: 0, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  const loops = Array.from({ length: options.loops }, (_, i) => loop(i));
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return samples;
    },
  };
}

/** A sample that was not served, by its target's rule. */
export function failed(sample: LoadSample, targets: LoadTarget[]) {
  const target = targets.find((t) => t.name === sample.target);
  return !target?.ok(sample.status);
}

/** One target's share of a load: requests sent, those not served, and the span from the first failed send to the last failed answer. */
export interface TargetSummary {
  sent: number;
  failed: number;
  failedFrom: number | null;
  failedUntil: number | null;
}

/** Each target's summary, by name (a target that got no request has `sent: 0`). */
export function summarize(samples: LoadSample[], targets: LoadTarget[]): Record<string, TargetSummary> {
  const out: Record<string, TargetSummary> = {};
  for (const t of targets) out[t.name] = { sent: 0, failed: 0, failedFrom: null, failedUntil: null };
  for (const s of samples) {
    const summary = out[s.target];
    if (!summary) continue;
    summary.sent++;
    if (!failed(s, targets)) continue;
    summary.failed++;
    summary.failedFrom = Math.min(summary.failedFrom ?? s.sentAt, s.sentAt);
    summary.failedUntil = Math.max(summary.failedUntil ?? s.doneAt, s.doneAt);
  }
  return out;
}
