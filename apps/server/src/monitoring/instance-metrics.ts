import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { instanceNames } from '../instances/instance-names.js';
import { lastMeasuredStorage } from '../instances/instance-storage.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';

export const INSTANCE_METRICS_EVERY_MS = 15_000;
/** Engine calls in flight at once, so a host with many instances does not flood the engine every 15 s. */
const CONCURRENCY = 4;
const LABELS = ['instance_id', 'tenant_id', 'slug'] as const;

interface Sample {
  labels: Record<(typeof LABELS)[number], string>;
  cpuSeconds: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  diskBytes: number | null;
  restarts: number | null;
}

export interface InstanceMetricsDeps {
  db: Db;
  runtime: InstanceRuntime;
  config: Config;
  log: FastifyBaseLogger;
}

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Per-instance resources (docs/monitoring.md): a loop reads every settled instance's container from the
 * runtime every 15 s and keeps the last samples; a scrape only serves them, so Prometheus never waits
 * on the engine. Disk is the storage the reconciler last measured (instance-storage.ts), not a new walk.
 */
export class InstanceMetricsCollector {
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: InstanceMetricsDeps,
    registry: Registry,
  ) {
    const samples = () => this.samples;
    const gauge = (name: string, help: string, pick: (s: Sample) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: LABELS,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of samples()) {
            const value = pick(s);
            if (value !== null) this.set(s.labels, value);
          }
        },
      });
    new Counter({
      name: 'saas_instance_cpu_seconds_total',
      help: 'CPU time used by the instance container since it started (seconds)',
      labelNames: LABELS,
      registers: [registry],
      collect() {
        // The engine keeps the count; the counter is refilled with it at each scrape.
        this.reset();
        for (const s of samples()) if (s.cpuSeconds !== null) this.inc(s.labels, s.cpuSeconds);
      },
    });
    gauge('saas_instance_memory_bytes', 'Memory used by the instance container, page cache excluded', (s) => s.memoryBytes);
    gauge('saas_instance_memory_limit_bytes', 'Memory limit of the instance container', (s) => s.memoryLimitBytes);
    gauge('saas_instance_disk_bytes', 'Storage used by the instance (database and filestore), as last measured', (s) => s.diskBytes);
    gauge('saas_instance_restarts', "The instance container's restart count (the engine's RestartCount)", (s) => s.restarts);
  }

  start(everyMs = INSTANCE_METRICS_EVERY_MS): void {
    const tick = () => {
      this.running ??= this.collect()
        .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'instance metrics could not be collected'))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the settled instances; an instance whose container cannot be read keeps only its labels' disk. */
  async collect(): Promise<void> {
    const instances = await new InstancesRepository(this.deps.db).listSettled();
    this.samples = await mapLimit(instances, CONCURRENCY, async (instance): Promise<Sample> => {
      const container = instanceNames(this.deps.config.resourcePrefix, instance.id).container;
      const [info, usage] = await Promise.all([
        this.deps.runtime.inspectContainer(container).catch(() => null),
        this.deps.runtime.usage(container).catch(() => null),
      ]);
      return {
        labels: { instance_id: instance.id, tenant_id: instance.tenantId, slug: instance.slug },
        cpuSeconds: usage?.cpuSeconds ?? null,
        memoryBytes: usage?.memoryBytes ?? null,
        memoryLimitBytes: usage?.memoryLimitBytes ?? null,
        diskBytes: lastMeasuredStorage.get(instance.id) ?? null,
        restarts: info?.restartCount ?? null,
      };
    });
  }
}
