import { describe, expect, it } from 'vitest';
import { instanceCharts, instanceSelector, OVERVIEW_CHARTS, perStep, promDuration } from './charts.js';
import { chooseStep, MAX_POINTS, rangeWindow } from './metrics-store.js';

const ID = '0b7c5a8e-4f1d-4c1e-9a2b-3c4d5e6f7a8b';

describe('step choice', () => {
  it('keeps every range under the point budget with round steps of at least a minute', () => {
    expect(chooseStep(3600)).toBe(60);
    expect(chooseStep(86_400)).toBe(600);
    expect(chooseStep(7 * 86_400)).toBe(3600);
    for (const seconds of [60, 3600, 86_400, 7 * 86_400, 30 * 86_400]) {
      const step = chooseStep(seconds);
      expect(step).toBeGreaterThanOrEqual(60);
      expect(seconds / step).toBeLessThanOrEqual(MAX_POINTS);
    }
  });

  it('ends the window now, so the newest scrape is in the last point', () => {
    const now = new Date('2026-12-02T04:00:30.500Z');
    const window = rangeWindow('24h', now);
    expect(window.end).toEqual(now);
    expect(now.getTime() - window.start.getTime()).toBe(86_400_000);
    expect(window.stepSeconds).toBe(600);
    expect(rangeWindow('7d', now).stepSeconds).toBe(3600);
  });

  it('writes durations PromQL accepts', () => {
    expect(promDuration(600)).toBe('600s');
    expect(promDuration(0)).toBe('1s');
  });
});

describe('chart definitions', () => {
  const context = { window: '60s' };

  it('have unique ids and one query per series', () => {
    for (const charts of [OVERVIEW_CHARTS, instanceCharts(ID)]) {
      const ids = charts.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const chart of charts) {
        expect(chart.series.length).toBeGreaterThan(0);
        for (const s of chart.series) expect(s.query(context)).not.toBe('');
      }
    }
  });

  it('cover what the overview must show', () => {
    expect(OVERVIEW_CHARTS.map((c) => c.id)).toEqual([
      'signups',
      'instances_by_status',
      'provisioning_time',
      'provisioning_outcomes',
      'api_request_rate',
      'api_error_rate',
      'api_latency',
      'queue_depth',
      'failed_jobs',
      'host_cpu',
      'host_memory',
      'host_disk',
      'docker_engine',
      'certificate_expiry',
      'mrr',
    ]);
  });

  it('put the step into rates, so points never count an event twice', () => {
    const signups = OVERVIEW_CHARTS.find((c) => c.id === 'signups')?.series[0];
    expect(signups?.query({ window: '600s' })).toBe('sum(increase(saas_signups_total[600s]))');
    const requests = instanceCharts(ID).find((c) => c.id === 'instance_requests')?.series[0];
    expect(requests?.query({ window: '3600s' })).toBe(`sum by (code) (rate(edge_http_requests_total{instance_id="${ID}"}[3600s]))`);
  });

  it('select one instance by its id only', () => {
    for (const chart of instanceCharts(ID.toUpperCase())) {
      for (const s of chart.series) expect(s.query(context)).toContain(`{instance_id="${ID}"}`);
    }
  });

  it('name series after their labels', () => {
    const status = OVERVIEW_CHARTS.find((c) => c.id === 'instances_by_status')?.series[0]?.name;
    expect(typeof status === 'function' && status({ status: 'running' })).toBe('Running');
    const outcome = OVERVIEW_CHARTS.find((c) => c.id === 'provisioning_outcomes')?.series[0]?.name;
    expect(typeof outcome === 'function' && outcome({ result: 'failure' })).toBe('Failed');
  });
});

describe('instance selector', () => {
  it.each([`${ID}"} or vector(1) #`, `${ID}",instance_id=~".+`, '.*', '', `${ID}\n`, `x${ID}`])('refuses %j', (hostile) => {
    expect(() => instanceSelector(hostile)).toThrow(/not an instance id/);
    expect(() => instanceCharts(hostile)).toThrow(/not an instance id/);
  });
});

describe('step labels', () => {
  it('say what one point of a count covers', () => {
    expect(perStep(60)).toBe('per minute');
    expect(perStep(600)).toBe('per 10 minutes');
    expect(perStep(3600)).toBe('per hour');
    expect(perStep(7200)).toBe('per 2 hours');
  });
});
