import { describe, expect, it } from 'vitest';
import { isoWeekKey, type RetainedBackup, selectRetained } from './retention.js';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const scheduled = (id: string, iso: string): RetainedBackup => ({ id, takenAt: at(iso), kind: 'scheduled' });

/** One scheduled backup per day at 02:00 UTC, plus a second one at 14:00 on some days of the month. */
function calendar(from: string, days: number, extraOn: number[] = []): RetainedBackup[] {
  const backups: RetainedBackup[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(at(`${from}T00:00:00Z`).getTime() + i * DAY).toISOString().slice(0, 10);
    backups.push(scheduled(day, `${day}T02:00:00Z`));
    if (extraOn.includes(Number(day.slice(8, 10)))) backups.push(scheduled(`${day}b`, `${day}T14:00:00Z`));
  }
  return backups;
}

describe('isoWeekKey', () => {
  it('follows ISO 8601 around new year', () => {
    expect(isoWeekKey(at('2026-12-28T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeekKey(at('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeekKey(at('2027-01-03T23:59:59Z'))).toBe('2026-W53');
    expect(isoWeekKey(at('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(isoWeekKey(at('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeekKey(at('2021-01-03T00:00:00Z'))).toBe('2020-W53');
    expect(isoWeekKey(at('2026-06-15T00:00:00Z'))).toBe('2026-W25');
  });
});

describe('selectRetained', () => {
  it('keeps exactly 7 daily / 4 weekly / 3 monthly over a 400-day calendar', () => {
    // 2026-01-07 + 399 days = 2027-02-10 (a Wednesday).
    const backups = calendar('2026-01-07', 400, [5, 10, 24, 31]);
    expect(backups.at(-1)?.id).toBe('2027-02-10b');
    const { keep, drop } = selectRetained(backups, { daily: 7, weekly: 4, monthly: 3 }, at('2027-02-10T23:00:00Z'));
    // Enumerated by hand from the calendar: the newest backup of
    //   days   2027-02-04 … 2027-02-10,
    //   weeks  of Mon 02-08 (→ 02-10), Mon 02-01 (→ Sun 02-07), Mon 01-25 (→ 01-31), Mon 01-18 (→ 01-24),
    //   months 2027-02 (→ 02-10), 2027-01 (→ 01-31), 2026-12 (→ 12-31).
    const expected = [
      '2027-02-10b',
      '2027-02-09',
      '2027-02-08',
      '2027-02-07',
      '2027-02-06',
      '2027-02-05b',
      '2027-02-04',
      '2027-01-31b',
      '2027-01-24b',
      '2026-12-31b',
    ];
    expect([...keep].sort()).toEqual([...expected].sort());
    expect(drop).toHaveLength(backups.length - expected.length);
    expect(drop[0]).toBe('2026-01-07');
    expect(new Set([...drop, ...keep]).size).toBe(backups.length);
  });

  it('counts ISO weeks across new year (week 53 spans two calendar years)', () => {
    const backups = calendar('2026-12-20', 18);
    const { keep } = selectRetained(backups, { daily: 0, weekly: 3, monthly: 0 }, at('2027-01-07T00:00:00Z'));
    expect([...keep].sort()).toEqual(['2026-12-27', '2027-01-03', '2027-01-06']);
  });

  it('returns nothing for no backups', () => {
    expect(selectRetained([], { daily: 7, weekly: 4, monthly: 3 }, new Date())).toEqual({ keep: new Set(), drop: [] });
  });

  it('keeps only the newest when all backups fall on one day', () => {
    const backups = [1, 5, 9, 13, 17].map((hour) => scheduled(`h${hour}`, `2026-05-05T${String(hour).padStart(2, '0')}:00:00Z`));
    const { keep, drop } = selectRetained(backups, { daily: 7, weekly: 4, monthly: 3 }, at('2026-05-06T00:00:00Z'));
    expect([...keep]).toEqual(['h17']);
    expect(drop).toEqual(['h1', 'h5', 'h9', 'h13']);
  });

  it('counts days that have backups, so gaps do not erase history', () => {
    const backups = [
      scheduled('jan', '2026-01-01T02:00:00Z'),
      scheduled('mar', '2026-03-15T02:00:00Z'),
      scheduled('jun', '2026-06-30T02:00:00Z'),
    ];
    expect(selectRetained(backups, { daily: 2, weekly: 0, monthly: 0 }, at('2026-12-01T00:00:00Z')).drop).toEqual(['jan']);
  });

  it('never drops the newest backup, even with a zero policy', () => {
    const backups = calendar('2026-03-01', 5);
    const { keep, drop } = selectRetained(backups, { daily: 0, weekly: 0, monthly: 0 }, at('2026-03-10T00:00:00Z'));
    expect([...keep]).toEqual(['2026-03-05']);
    expect(drop).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
  });

  it('breaks ties on the same instant by id, whatever the input order', () => {
    const a = scheduled('a', '2026-04-01T02:00:00Z');
    const b = scheduled('b', '2026-04-01T02:00:00Z');
    const policy = { daily: 1, weekly: 0, monthly: 0 };
    expect(selectRetained([a, b], policy, at('2026-04-02T00:00:00Z')).drop).toEqual(['a']);
    expect(selectRetained([b, a], policy, at('2026-04-02T00:00:00Z')).drop).toEqual(['a']);
  });

  it('keeps manual and safety backups for manualDays and final backups for finalMonths, outside GFS', () => {
    const now = at('2026-06-15T12:00:00Z');
    const backups: RetainedBackup[] = [
      ...calendar('2026-06-01', 15),
      { id: 'manual-recent', takenAt: at('2026-06-14T10:00:00Z'), kind: 'manual' },
      { id: 'manual-old', takenAt: at('2026-06-01T10:00:00Z'), kind: 'manual' },
      { id: 'safety-recent', takenAt: at('2026-06-13T10:00:00Z'), kind: 'safety' },
      { id: 'final-recent', takenAt: at('2026-04-01T00:00:00Z'), kind: 'final' },
      { id: 'final-expired', takenAt: at('2026-03-15T11:00:00Z'), kind: 'final' },
    ];
    const { keep, drop } = selectRetained(backups, { daily: 3, weekly: 0, monthly: 0, manualDays: 7, finalMonths: 3 }, now);
    expect([...keep].sort()).toEqual(['2026-06-13', '2026-06-14', '2026-06-15', 'final-recent', 'manual-recent', 'safety-recent']);
    expect(drop).toContain('manual-old');
    expect(drop[0]).toBe('final-expired');
  });

  it('keeps an old manual backup when it is the only one', () => {
    const only: RetainedBackup = { id: 'm', takenAt: at('2020-01-01T00:00:00Z'), kind: 'manual' };
    expect(selectRetained([only], { daily: 7, weekly: 4, monthly: 3 }, at('2026-01-01T00:00:00Z')).keep).toEqual(new Set(['m']));
  });

  it('refuses a nonsensical policy', () => {
    expect(() => selectRetained([], { daily: -1, weekly: 4, monthly: 3 }, new Date())).toThrow(RangeError);
  });
});
