/**
 * Grandfather-father-son retention, pure and deterministic (UTC calendar).
 *
 * Decisions:
 * - GFS applies to scheduled backups: the newest backup of each of the `daily` most recent days that
 *   have one, of each of the `weekly` most recent ISO weeks (Monday–Sunday) that have one, and of each
 *   of the `monthly` most recent months that have one. Counting buckets that hold backups (as restic's
 *   --keep-daily does) rather than calendar days before `now` means a stopped schedule or an outage
 *   never erases the history: "7 daily" always means up to 7 backups.
 * - Manual and safety backups sit outside the schedule's buckets (so a backup the tenant asked for is
 *   not displaced by the next scheduled one) and are kept for `manualDays` days (default `daily`).
 * - Final backups (instance deleted or cancelled) are kept for `finalMonths` calendar months after they
 *   were taken (default `monthly`, the longest GFS horizon).
 * - The newest backup overall is never dropped, whatever its kind or age.
 * - Ties on `takenAt` are broken by id, so the same input always gives the same answer.
 */
export type BackupKind = 'scheduled' | 'manual' | 'final' | 'safety';

export interface RetainedBackup {
  id: string;
  takenAt: Date;
  kind: BackupKind;
}

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  manualDays?: number;
  finalMonths?: number;
}

export interface RetentionResult {
  keep: Set<string>;
  /** Oldest first. */
  drop: string[];
}

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export const dayKey = (d: Date) => d.toISOString().slice(0, 10);
export const monthKey = (d: Date) => d.toISOString().slice(0, 7);

/** ISO 8601 week, e.g. 2027-01-01 → '2026-W53': the week belongs to the year of its Thursday. */
export function isoWeekKey(d: Date): string {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const mondayBased = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = new Date(day + (3 - mondayBased) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return `${pad(year, 4)}-W${pad(week)}`;
}

function addUtcMonths(d: Date, months: number): Date {
  const result = new Date(d);
  result.setUTCMonth(result.getUTCMonth() + months);
  return result;
}

/** Newest first; equal times by id, descending. */
const newestFirst = (a: RetainedBackup, b: RetainedBackup) =>
  b.takenAt.getTime() - a.takenAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Keeps the newest backup of each of the `count` most recent buckets (by `key`) that have backups. */
function keepNewestPerBucket(sorted: RetainedBackup[], count: number, key: (d: Date) => string, keep: Set<string>): void {
  const seen = new Set<string>();
  for (const backup of sorted) {
    if (seen.size >= count) return;
    const bucket = key(backup.takenAt);
    if (seen.has(bucket)) continue;
    seen.add(bucket);
    keep.add(backup.id);
  }
}

export function selectRetained(backups: RetainedBackup[], policy: RetentionPolicy, now: Date): RetentionResult {
  for (const [name, value] of Object.entries(policy)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      throw new RangeError(`Retention ${name} must be a whole number ≥ 0.`);
  }
  const sorted = [...backups].sort(newestFirst);
  const keep = new Set<string>();
  const newest = sorted[0];
  if (newest) keep.add(newest.id);

  const scheduled = sorted.filter((backup) => backup.kind === 'scheduled');
  keepNewestPerBucket(scheduled, policy.daily, dayKey, keep);
  keepNewestPerBucket(scheduled, policy.weekly, isoWeekKey, keep);
  keepNewestPerBucket(scheduled, policy.monthly, monthKey, keep);

  const manualDays = policy.manualDays ?? policy.daily;
  const finalMonths = policy.finalMonths ?? policy.monthly;
  for (const backup of sorted) {
    if ((backup.kind === 'manual' || backup.kind === 'safety') && backup.takenAt.getTime() + manualDays * DAY_MS > now.getTime()) {
      keep.add(backup.id);
    }
    if (backup.kind === 'final' && addUtcMonths(backup.takenAt, finalMonths).getTime() > now.getTime()) keep.add(backup.id);
  }
  const drop = sorted
    .filter((backup) => !keep.has(backup.id))
    .reverse()
    .map((backup) => backup.id);
  return { keep, drop };
}
