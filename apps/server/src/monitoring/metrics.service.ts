import type { Db } from '../db/client.js';
import { notFound } from '../errors/domain-error.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import { type ChartDef, instanceCharts, OVERVIEW_CHARTS, perStep, promDuration } from './charts.js';
import type { MetricChartDto, MetricChartsDto } from './metrics.schemas.js';
import type { MetricsRange, MetricsStore } from './metrics-store.js';
import { rangeWindow } from './metrics-store.js';

export interface MetricsServiceDeps {
  /** null: no PROMETHEUS_URL; the charts answer "not available" rather than an error. */
  store: MetricsStore | null;
  db: Db;
}

/** Charts over time for the dashboards, read from the metrics store. */
export class MetricsService {
  private readonly instances: InstancesRepository;

  constructor(private readonly deps: MetricsServiceDeps) {
    this.instances = new InstancesRepository(deps.db);
  }

  overview(range: MetricsRange): Promise<MetricChartsDto> {
    return this.render(OVERVIEW_CHARTS, range);
  }

  /** Staff's view of any instance, deleted ones included (their history stays in Prometheus): 404 for an id that names none. */
  async instance(instanceId: string, range: MetricsRange): Promise<MetricChartsDto> {
    if (!(await this.instances.findById(instanceId))) throw notFound('Instance');
    return this.render(instanceCharts(instanceId), range);
  }

  /** A tenant's own instance; its access was checked by the route's rule. */
  ownInstance(instanceId: string, range: MetricsRange): Promise<MetricChartsDto> {
    return this.render(instanceCharts(instanceId), range);
  }

  private async render(defs: ChartDef[], range: MetricsRange): Promise<MetricChartsDto> {
    const window = rangeWindow(range);
    const { store } = this.deps;
    if (!store) return { range, available: false, stepSeconds: window.stepSeconds, charts: [] };
    const context = { window: promDuration(window.stepSeconds) };
    // All queries at once: one round trip's latency for the whole page.
    const charts = await Promise.all(
      defs.map(async (def): Promise<MetricChartDto> => {
        const results = await Promise.all(def.series.map((s) => store.queryRange(s.query(context), window)));
        const series = def.series.flatMap((s, i) =>
          (results[i] ?? []).map((found) => ({
            name: typeof s.name === 'string' ? s.name : s.name(found.labels),
            points: found.points,
          })),
        );
        // Series named after labels come in Prometheus's order; sorted, a chart's colours stay put between refreshes.
        const named = def.series.some((s) => typeof s.name !== 'string');
        if (named) series.sort((a, b) => a.name.localeCompare(b.name));
        const description = typeof def.description === 'string' ? def.description : def.description(perStep(window.stepSeconds));
        return { id: def.id, title: def.title, description, unit: def.unit, series };
      }),
    );
    return { range, available: true, stepSeconds: window.stepSeconds, charts };
  }
}
