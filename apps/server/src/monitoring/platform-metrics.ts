import { Counter, Gauge, type Registry } from 'prom-client';
import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Platform } from '../platform.js';
import { PlatformMetricsRepository } from './platform-metrics.repo.js';

/**
 * Sign-ups, counted where they happen (AuthService.signup). One counter per process, registered into
 * the API's registry; Prometheus sums the API processes and its rate() copes with restarts.
 */
export const signupsCounter = new Counter({ name: 'saas_signups_total', help: 'Accounts created by sign-up', registers: [] });

/** States whose job counts are exported per queue. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

const ENGINE_PING_TIMEOUT_MS = 2_000;
/** MRR is a heavier query (a window over subscription changes) and changes slowly. */
const MRR_CACHE_MS = 60_000;

const withTimeout = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

type Deps = Pick<Platform, 'db' | 'queues' | 'runtime' | 'billingReports' | 'heartbeats' | 'log'>;

/**
 * The API's business gauges (docs/monitoring.md), computed when Prometheus scrapes. A source that
 * fails leaves its gauge empty for that scrape (and is logged), never the whole scrape.
 */
export function registerPlatformMetrics(registry: Registry, deps: Deps): void {
  registry.registerMetric(signupsCounter);
  const guard = async (what: string, collect: () => Promise<void>) => {
    try {
      await collect();
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, metric: what }, 'metric could not be collected');
    }
  };

  new Gauge({
    name: 'saas_instances',
    help: 'Instances by status (deleted ones excluded)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      await guard('saas_instances', async () => {
        for (const row of await new PlatformMetricsRepository(deps.db).instancesByStatus()) this.set({ status: row.status }, row.n);
      });
    },
  });

  new Gauge({
    name: 'saas_queue_jobs',
    help: 'Jobs per queue and state (BullMQ job counts)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await guard('saas_queue_jobs', async () => {
        const counts = await Promise.all(deps.queues.all.map((queue) => queue.getJobCounts(...QUEUE_STATES)));
        deps.queues.all.forEach((queue, i) => {
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[i]?.[state] ?? 0);
        });
      });
    },
  });

  new Gauge({
    name: 'saas_docker_engine_up',
    help: '1 when the Docker engine answered a ping within 2 s, else 0',
    registers: [registry],
    async collect() {
      const up = await withTimeout(deps.runtime.ping(), ENGINE_PING_TIMEOUT_MS).then(
        () => 1,
        () => 0,
      );
      this.set(up);
    },
  });

  new Gauge({
    name: 'saas_certificate_expiry_timestamp_seconds',
    help: 'When each certificate the platform obtained expires (Unix seconds), per domain',
    labelNames: ['domain'],
    registers: [registry],
    async collect() {
      this.reset();
      await guard('saas_certificate_expiry_timestamp_seconds', async () => {
        for (const cert of await new CertificatesRepository(deps.db).list()) {
          for (const domain of cert.domains) this.set({ domain }, Math.floor(cert.notAfter.getTime() / 1000));
        }
      });
    },
  });

  let mrrCache: { at: number; currency: string; mrr: number } | undefined;
  new Gauge({
    name: 'saas_mrr',
    help: 'Monthly recurring revenue today, in minor units of the currency (cents)',
    labelNames: ['currency'],
    registers: [registry],
    async collect() {
      this.reset();
      await guard('saas_mrr', async () => {
        if (!mrrCache || Date.now() - mrrCache.at > MRR_CACHE_MS) {
          const { currency, points } = await deps.billingReports.revenue(1);
          mrrCache = { at: Date.now(), currency, mrr: points.at(-1)?.mrr ?? 0 };
        }
        this.set({ currency: mrrCache.currency }, mrrCache.mrr);
      });
    },
  });

  new Gauge({
    name: 'saas_worker_heartbeat_age_seconds',
    help: 'Seconds since the freshest worker heartbeat (absent when no worker is alive)',
    registers: [registry],
    async collect() {
      this.reset();
      await guard('saas_worker_heartbeat_age_seconds', async () => {
        const beats = (await deps.heartbeats.list()).map((w) => Date.parse(w.lastBeatAt)).filter(Number.isFinite);
        if (beats.length > 0) this.set((Date.now() - Math.max(...beats)) / 1000);
      });
    },
  });
}
