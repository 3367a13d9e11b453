import { createHash } from 'node:crypto';

/**
 * When an instance's daily backup runs (UTC). Start times are spread so that a thousand instances do not
 * dump at the same second: each instance gets a fixed minute derived from its id, within the hour its
 * tenant chose or, by default, within the night window below.
 */
export const DEFAULT_WINDOW = { startHour: 0, hours: 6 } as const;
const DAY_MS = 86_400_000;

function spread(instanceId: string, range: number): number {
  return createHash('sha256').update(instanceId).digest().readUInt32BE(0) % range;
}

/** Minutes after midnight UTC of the instance's daily backup. */
export function minuteOfDay(instanceId: string, hour: number | null): number {
  if (hour !== null) return hour * 60 + spread(instanceId, 60);
  return DEFAULT_WINDOW.startHour * 60 + spread(instanceId, DEFAULT_WINDOW.hours * 60);
}

/** The start of the most recent daily slot at or before `now`. */
export function latestSlot(instanceId: string, hour: number | null, now: Date): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const today = midnight + minuteOfDay(instanceId, hour) * 60_000;
  return new Date(today <= now.getTime() ? today : today - DAY_MS);
}

export function nextSlot(instanceId: string, hour: number | null, now: Date): Date {
  return new Date(latestSlot(instanceId, hour, now).getTime() + DAY_MS);
}

/**
 * Whether a scheduled backup is due: a slot has started since the instance exists, and none was taken
 * (or is being taken) since that slot began. A scheduler that was down catches up with one backup, not many.
 */
export function isDue(input: { instanceId: string; hour: number | null; createdAt: Date; lastScheduledAt: Date | null }, now: Date) {
  const slot = latestSlot(input.instanceId, input.hour, now);
  if (slot.getTime() < input.createdAt.getTime()) return false;
  return !input.lastScheduledAt || input.lastScheduledAt.getTime() < slot.getTime();
}

/** Midnight UTC of `now`'s day: manual backups are counted per UTC day. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
