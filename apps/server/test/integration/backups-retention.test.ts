import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, eq, gte, inArray, lt, notInArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, type BackupMaintenanceDeps, scheduleBackups } from '../../src/backups/backup-maintenance.js';
import { minuteOfDay } from '../../src/backups/backup-schedule.js';
import { BackupsRepository } from '../../src/backups/backups.repo.js';
import { type BackupKindValue, backups } from '../../src/backups/backups.tables.js';
import { instances } from '../../src/instances/instances.tables.js';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { insertInstanceRow } from '../support/instances.js';

/**
 * The maintenance jobs over a simulated calendar, with PostgreSQL and the local backup storage: retention
 * keeps exactly the grandfather-father-son set of the plan (computed here independently), and the scheduler
 * makes one backup per instance and day at its own minute. No worker runs: queued jobs stay in the queue.
 */
let h: Harness;
let deps: BackupMaintenanceDeps;
const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY);

beforeAll(async () => {
  h = await startHarness({ withWorker: false });
  const { config, database, runtime, tenantDb, backupStorage, edge, redis, log, queues } = h.platform;
  deps = { config, database, runtime, tenantDb, backupStorage, edge, redis, log, queues };
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** A tenant on a plan of its own with this retention. */
async function tenantWithRetention(retention: { daily: number; weekly: number; monthly: number }): Promise<TestUser> {
  const owner = await createUser(h, { label: 'retention', verify: 'direct' });
  const code = `retention-${randomUUID().slice(0, 8)}`;
  await h.platform.db.execute(
    sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers, backup_retention, visibility)
        values (${code}, 'Retention test', 5, 512, 500, 256, 1, 0, ${JSON.stringify(retention)}::jsonb, 'hidden')`,
  );
  await h.platform.db.execute(sql`update tenants set plan_code = ${code} where id = ${owner.tenantId}`);
  return owner;
}

interface Planted {
  id: string;
  kind: BackupKindValue;
  takenAt: Date;
  keepUntil: Date | null;
  key: string;
}

/** A completed backup taken at `takenAt`, with a small real object in storage. */
async function plant(tenantId: string, instanceId: string, kind: BackupKindValue, takenAt: Date, keepUntil: Date | null = null) {
  const repo = new BackupsRepository(h.platform.db);
  const row = await repo.create({ tenantId, instanceId, kind, odooVersion: '18.0', requestedBy: null, keepUntil });
  const key = row.storageKey ?? '';
  const stored = await h.platform.backupStorage.put(key, Readable.from([Buffer.from(`backup ${row.id}`)]), {});
  await repo.update(row.id, { status: 'completed', createdAt: takenAt, startedAt: takenAt, completedAt: takenAt, sha256: stored.sha256 });
  return { id: row.id, kind, takenAt, keepUntil, key } satisfies Planted;
}

/** Monday of the ISO week, as its date: another way to name the week than the code's `isoWeekKey`. */
function mondayOf(d: Date): string {
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return new Date(midnight - ((new Date(midnight).getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
}

/** What the plan promises, from the list of everything taken up to `now` (independent of retention.ts). */
function expectedKept(all: Planted[], policy: { daily: number; weekly: number; monthly: number }, now: Date, pinned: Set<string>) {
  const taken = all.filter((b) => b.takenAt <= now);
  const keep = new Set<string>();
  const newestPer = (bucket: (d: Date) => string, count: number) => {
    const newest = new Map<string, Planted>();
    for (const b of taken.filter((x) => x.kind === 'scheduled')) {
      const k = bucket(b.takenAt);
      const cur = newest.get(k);
      if (!cur || cur.takenAt < b.takenAt) newest.set(k, b);
    }
    const buckets = [...newest.keys()].sort().reverse().slice(0, count);
    for (const k of buckets) keep.add(newest.get(k)?.id ?? '');
  };
  newestPer((d) => d.toISOString().slice(0, 10), policy.daily);
  newestPer(mondayOf, policy.weekly);
  newestPer((d) => d.toISOString().slice(0, 7), policy.monthly);
  for (const b of taken) {
    if ((b.kind === 'manual' || b.kind === 'safety' || b.kind === 'upload') && now.getTime() - b.takenAt.getTime() < policy.daily * DAY)
      keep.add(b.id);
    if (b.kind === 'final' && (!b.keepUntil || b.keepUntil > now)) keep.add(b.id);
    if (pinned.has(b.id)) keep.add(b.id);
  }
  // The newest backup is never dropped (finals are kept by their own date).
  const newest = taken.filter((b) => b.kind !== 'final').sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
  if (newest) keep.add(newest.id);
  return keep;
}

async function statusOf(ids: string[]) {
  const rows = await h.platform.db.select({ id: backups.id, status: backups.status }).from(backups).where(inArray(backups.id, ids));
  return new Map(rows.map((r) => [r.id, r.status]));
}

describe('retention over a simulated calendar', () => {
  for (const policy of [
    { daily: 7, weekly: 4, monthly: 3 },
    { daily: 3, weekly: 2, monthly: 2 },
  ]) {
    it(`keeps exactly the plan's set (${policy.daily} daily / ${policy.weekly} weekly / ${policy.monthly} monthly) as 100 days pass`, async () => {
      const owner = await tenantWithRetention(policy);
      // Failed, so that no scheduler ever picks it: retention does not look at the instance's status.
      const instance = await insertInstanceRow(h, owner.tenantId);
      // In the future: a worker of another test running retention at the real time then keeps more, never less
      // (manual backups and finals are not yet old; the buckets do not depend on the time).
      const start = at('2037-02-20T00:00:00Z');
      const planted: Planted[] = [];
      const pinned = new Set<string>();
      let checked = 0;
      for (let day = 0; day < 100; day++) {
        const midnight = addDays(start, day);
        // The daily schedule at 02:17, with a 5-day outage (days 40–44) and a retried slot (two backups on day 70).
        if (day < 40 || day > 44)
          planted.push(await plant(owner.tenantId, instance.id, 'scheduled', new Date(midnight.getTime() + 137 * 60_000)));
        if (day === 70) planted.push(await plant(owner.tenantId, instance.id, 'scheduled', new Date(midnight.getTime() + 5 * 3600_000)));
        if (day % 9 === 3) planted.push(await plant(owner.tenantId, instance.id, 'manual', new Date(midnight.getTime() + 14 * 3600_000)));
        if (day === 50) planted.push(await plant(owner.tenantId, instance.id, 'safety', new Date(midnight.getTime() + 10 * 3600_000)));
        if (day === 55) planted.push(await plant(owner.tenantId, instance.id, 'upload', new Date(midnight.getTime() + 11 * 3600_000)));
        if (day === 20)
          planted.push(
            await plant(owner.tenantId, instance.id, 'final', new Date(midnight.getTime() + 12 * 3600_000), addDays(midnight, 45)),
          );
        if (day === 60)
          planted.push(
            await plant(owner.tenantId, instance.id, 'final', new Date(midnight.getTime() + 12 * 3600_000), addDays(midnight, 200)),
          );
        if (day === 30) {
          // A restore still to run pins its source: the day before's backup (a Saturday), which the daily buckets soon let go.
          const source = planted.find((b) => b.takenAt.getTime() === addDays(start, 29).getTime() + 137 * 60_000);
          expect(source).toBeDefined();
          await new BackupsRepository(h.platform.db).createRestore({
            tenantId: owner.tenantId,
            instanceId: instance.id,
            backupId: source?.id ?? '',
            requestedBy: null,
          });
          pinned.add(source?.id ?? '');
        }
        // The job runs every hour; once a day at 23:00 is enough to see every change.
        const now = new Date(midnight.getTime() + 23 * 3600_000);
        await applyRetention(deps, now, { tenantIds: [owner.tenantId] });
        const expected = expectedKept(planted, policy, now, pinned);
        const status = await statusOf(planted.map((b) => b.id));
        const kept = planted.filter((b) => status.get(b.id) === 'completed').map((b) => b.id);
        expect(new Set(kept), `day ${day}`).toEqual(expected);
        expect(planted.filter((b) => !expected.has(b.id)).every((b) => status.get(b.id) === 'deleted')).toBe(true);
        if (day % 10 === 9) {
          // Storage agrees with the rows: kept archives are there, dropped ones are gone.
          for (const b of planted) {
            const head = await h.platform.backupStorage.head(b.key);
            if (expected.has(b.id)) expect(head, b.key).not.toBeNull();
            else expect(head, b.key).toBeNull();
          }
          checked++;
        }
      }
      expect(checked).toBe(10);
      // At the end: exactly this set, named by date, for a reader of the test output.
      const end = new Date(addDays(start, 99).getTime() + 23 * 3600_000);
      const kept = planted.filter((b) => expectedKept(planted, policy, end, pinned).has(b.id));
      const scheduledDays = kept.filter((b) => b.kind === 'scheduled').map((b) => b.takenAt.toISOString().slice(0, 16));
      expect(scheduledDays.length).toBeLessThanOrEqual(policy.daily + policy.weekly + policy.monthly + pinned.size);
      expect(kept.filter((b) => b.kind === 'final').map((b) => b.takenAt.toISOString().slice(0, 10))).toEqual(['2037-04-21']);
      // The pinned backup is kept only because of its restore.
      const [pin] = [...pinned];
      expect(kept.map((b) => b.id)).toContain(pin);
      expect(expectedKept(planted, policy, end, new Set()).has(pin ?? '')).toBe(false);
    }, 240_000);
  }
});

describe('the backup scheduler over a simulated day', () => {
  it('makes one scheduled backup per instance at or after its own minute, none before; skips suspended ones', async () => {
    const owner = await tenantWithRetention({ daily: 7, weekly: 4, monthly: 3 });
    const hours = [3, 3, 3, 3, 14, null, null];
    const mine: { id: string; hour: number | null }[] = [];
    for (const [i, hour] of hours.entries()) {
      const row = await insertInstanceRow(h, owner.tenantId, i === 1 ? 'stopped' : 'running');
      await h.platform.db.update(instances).set({ backupHour: hour }).where(eq(instances.id, row.id));
      mine.push({ id: row.id, hour });
    }
    const suspended = await insertInstanceRow(h, owner.tenantId, 'running');
    await h.platform.db.update(instances).set({ backupHour: 3, suspended: true }).where(eq(instances.id, suspended.id));
    const broken = await insertInstanceRow(h, owner.tenantId, 'failed');
    const ids = [...mine.map((m) => m.id), suspended.id, broken.id];

    // Two days from now (after the rows exist), every two minutes. A row the scheduler makes carries the
    // real time: it is dated at the simulated minute it was made, as if the clock were really then.
    const realStart = new Date(Date.now() - 60_000);
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const day = new Date(today + 2 * DAY);
    // The instances became ready just before that day: no earlier slot is owed.
    await h.platform.db
      .update(instances)
      .set({ readyAt: new Date(day.getTime() - 60_000) })
      .where(inArray(instances.id, ids));
    const made = new Map<string, Date[]>();
    for (let t = day.getTime(); t < day.getTime() + DAY; t += 2 * 60_000) {
      const now = new Date(t);
      await scheduleBackups(deps, now, { tenantIds: [owner.tenantId] });
      const fresh = await h.platform.db
        .update(backups)
        .set({ createdAt: now })
        .where(and(eq(backups.kind, 'scheduled'), gte(backups.createdAt, realStart), lt(backups.createdAt, day)))
        .returning({ instanceId: backups.instanceId });
      for (const { instanceId } of fresh) made.set(instanceId, [...(made.get(instanceId) ?? []), now]);
    }
    for (const { id, hour } of mine) {
      const slot = new Date(day.getTime() + minuteOfDay(id, hour) * 60_000);
      const times = made.get(id) ?? [];
      expect(times, `instance at hour ${hour}`).toHaveLength(1);
      const [when] = times as [Date];
      expect(when.getTime()).toBeGreaterThanOrEqual(slot.getTime());
      expect(when.getTime() - slot.getTime()).toBeLessThan(2 * 60_000);
      // The slot is within the chosen hour (the backup itself may come at the next tick, past the hour).
      if (hour !== null) expect(slot.getUTCHours()).toBe(hour);
      else expect(slot.getUTCHours()).toBeLessThan(6);
      // Its job waits in the queue (no worker here).
      const [row] = await h.platform.db
        .select()
        .from(backups)
        .where(and(eq(backups.instanceId, id), eq(backups.kind, 'scheduled')));
      expect(await h.platform.queues.backups.getJob(`backup-${row?.id}`)).toBeDefined();
    }
    // The scheduler is global: rows it made for other tests' instances on that simulated day are set aside.
    await h.platform.db
      .update(backups)
      .set({ status: 'deleted', deletedAt: new Date() })
      .where(and(eq(backups.kind, 'scheduled'), gte(backups.createdAt, day), notInArray(backups.instanceId, ids)));
    expect(made.get(suspended.id)).toBeUndefined();
    expect(made.get(broken.id)).toBeUndefined();
    const rows = await h.platform.db.select().from(backups).where(inArray(backups.instanceId, ids));
    expect(rows).toHaveLength(mine.length);
    // Spread: the four instances of the same hour do not all start at the same minute.
    const minutes = new Set(mine.filter((m) => m.hour === 3).map((m) => minuteOfDay(m.id, 3)));
    expect(minutes.size).toBeGreaterThan(1);
    // Over many instances, the night window's minutes are used widely (no thundering herd).
    const spread = new Set(Array.from({ length: 2000 }, () => minuteOfDay(randomUUID(), null)));
    expect(spread.size).toBeGreaterThan(300);
    expect(Math.max(...spread)).toBeLessThan(360);
  }, 240_000);

  it('queues again a backup whose job was lost (unfinished for over 10 minutes), not a recent one', async () => {
    const owner = await tenantWithRetention({ daily: 7, weekly: 4, monthly: 3 });
    const instance = await insertInstanceRow(h, owner.tenantId, 'failed');
    const repo = new BackupsRepository(h.platform.db);
    const now = new Date();
    const lost = await repo.create({
      tenantId: owner.tenantId,
      instanceId: instance.id,
      kind: 'manual',
      odooVersion: '18.0',
      requestedBy: null,
    });
    await repo.update(lost.id, { createdAt: new Date(now.getTime() - 11 * 60_000) });
    const recent = await repo.create({
      tenantId: owner.tenantId,
      instanceId: instance.id,
      kind: 'manual',
      odooVersion: '18.0',
      requestedBy: null,
    });
    await repo.update(recent.id, { createdAt: new Date(now.getTime() - 5 * 60_000) });
    expect(await h.platform.queues.backups.getJob(`backup-${lost.id}`)).toBeUndefined();

    const result = await scheduleBackups(deps, now, { tenantIds: [owner.tenantId] });
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    const job = await h.platform.queues.backups.getJob(`backup-${lost.id}`);
    expect(job?.data).toEqual({ kind: 'backup', backupId: lost.id });
    expect(await h.platform.queues.backups.getJob(`backup-${recent.id}`)).toBeUndefined();
    // Asking again does not double it: the job id is the backup's.
    await scheduleBackups(deps, now, { tenantIds: [owner.tenantId] });
    const waiting = await h.platform.queues.backups.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(waiting.filter((j) => j.id === `backup-${lost.id}`)).toHaveLength(1);
  }, 60_000);

  it('fails an upload cut off by a crash (left running for hours) and removes whatever it stored; a recent one is left alone', async () => {
    const owner = await tenantWithRetention({ daily: 7, weekly: 4, monthly: 3 });
    const instance = await insertInstanceRow(h, owner.tenantId, 'running');
    const repo = new BackupsRepository(h.platform.db);
    const now = new Date();
    const upload = async (ageMs: number) => {
      const row = await repo.create({
        tenantId: owner.tenantId,
        instanceId: instance.id,
        kind: 'upload',
        odooVersion: '18.0',
        requestedBy: null,
      });
      await repo.update(row.id, { createdAt: new Date(now.getTime() - ageMs) });
      await h.platform.backupStorage.put(row.storageKey ?? '', Readable.from([Buffer.from('partial')]), {});
      return row;
    };
    const cut = await upload(3 * 3600_000);
    const ongoing = await upload(60_000);
    expect((await scheduleBackups(deps, now, { tenantIds: [owner.tenantId] })).abandonedUploads).toBeGreaterThanOrEqual(1);
    expect(await repo.find(cut.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
    expect(await h.platform.backupStorage.head(cut.storageKey ?? '')).toBeNull();
    expect((await repo.find(ongoing.id))?.status).toBe('running');
    expect(await h.platform.backupStorage.head(ongoing.storageKey ?? '')).not.toBeNull();
  }, 60_000);
});
