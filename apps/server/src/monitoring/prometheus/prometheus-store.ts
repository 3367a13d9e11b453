import { type MetricSeries, type MetricsStore, metricsUnavailable, type RangeWindow } from '../metrics-store.js';

export interface PrometheusStoreOptions {
  /** PROMETHEUS_URL, without a trailing slash. */
  url: string;
  /** How long one query may take, end to end; Prometheus is told the same so it stops working too. */
  timeoutMs?: number;
}

interface PrometheusAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][] }[] };
}

/** Why a request failed, in words a person can act on; never the URL (tenants see this message too). */
function networkCause(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `Prometheus did not answer within ${timeoutMs / 1000} s.`;
  const code = (err as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'Prometheus is not running (connection refused).';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the Prometheus host name does not resolve.';
  return `Prometheus could not be reached${code ? ` (${code})` : ''}.`;
}

/** The MetricsStore over Prometheus's HTTP API (`/api/v1/query_range`). */
export class PrometheusStore implements MetricsStore {
  private readonly timeoutMs: number;
  private readonly endpoint: string;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  constructor(options: PrometheusStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    // fetch refuses URLs with credentials: they travel as a Basic authorization header instead.
    const url = new URL(options.url);
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.endpoint = new URL('api/v1/query_range', url.href.endsWith('/') ? url.href : `${url.href}/`).href;
  }

  async queryRange(query: string, window: RangeWindow): Promise<MetricSeries[]> {
    const body = new URLSearchParams({
      query,
      start: String(window.start.getTime() / 1000),
      end: String(window.end.getTime() / 1000),
      step: String(window.stepSeconds),
      timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s`,
    });
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        body,
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw metricsUnavailable(networkCause(err, this.timeoutMs));
    }
    if (response.status === 401 || response.status === 403) {
      throw metricsUnavailable(`Prometheus refused the platform's credentials (HTTP ${response.status}); check PROMETHEUS_URL.`);
    }
    let answer: PrometheusAnswer;
    try {
      answer = (await response.json()) as PrometheusAnswer;
    } catch (err) {
      if (err instanceof DOMException && err.name === 'TimeoutError') throw metricsUnavailable(networkCause(err, this.timeoutMs));
      throw metricsUnavailable(`Prometheus answered HTTP ${response.status} without a readable body.`);
    }
    if (answer.status !== 'success' || !answer.data) {
      // 4xx: our query was refused (a bug on our side); 5xx/503: Prometheus is starting or overloaded.
      throw metricsUnavailable(`Prometheus refused the query (${answer.errorType ?? response.status}: ${answer.error ?? 'no detail'}).`);
    }
    if (answer.data.resultType !== 'matrix') {
      throw metricsUnavailable(`Prometheus answered a ${answer.data.resultType} where a range of values was expected.`);
    }
    return answer.data.result.map((series) => ({
      labels: series.metric,
      // NaN (a quantile of no requests, 0/0) and ±Inf mean "nothing to plot" at that time.
      points: (series.values ?? []).flatMap(([t, v]) => {
        const value = Number(v);
        return Number.isFinite(value) ? [{ t: Math.round(t * 1000), v: value }] : [];
      }),
    }));
  }
}
