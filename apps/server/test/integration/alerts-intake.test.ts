import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { mailOutbox } from '../../src/mail/mail.tables.js';
import { ALERT_WEBHOOK_PATH } from '../../src/monitoring/alerts.routes.js';
import { alerts } from '../../src/monitoring/alerts.tables.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';

/**
 * Alert intake as Alertmanager's webhook drives it, on the API's internal listener: the bearer token,
 * one row per occurrence moving firing → resolved, one mail per transition however often Alertmanager
 * repeats itself, and the admin list.
 */

const TOKEN = `webhook-${randomUUID()}`;
const OPERATOR = `alerts-${randomUUID().slice(0, 8)}@example.com`;
let h: Harness;
let admin: TestUser;
let support: TestUser;
let tenantUser: TestUser;

beforeAll(async () => {
  h = await startHarness({ withWorker: false, env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_EMAIL_TO: OPERATOR } });
  admin = await createUser(h, { label: 'aladmin', verify: 'direct' });
  support = await createUser(h, { label: 'alsupport', verify: 'direct' });
  tenantUser = await createUser(h, { label: 'altenant', verify: 'direct' });
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });
});

afterAll(async () => {
  // Firing rows of this file would otherwise stay "active" for every later test of the database.
  if (fingerprints.length) await h?.platform.db.delete(alerts).where(inArray(alerts.fingerprint, fingerprints));
  await h?.close();
});

const fingerprints: string[] = [];

function alert(status: 'firing' | 'resolved', fingerprint: string, startsAt: string, extra: Record<string, string> = {}) {
  fingerprints.push(fingerprint);
  return {
    status,
    labels: { alertname: 'WorkerDown', severity: 'critical', job: 'worker', instance: `test:${fingerprint}`, ...extra },
    annotations: { summary: `Worker test:${fingerprint} is down`, description: 'Prometheus cannot scrape the worker.' },
    startsAt,
    endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint,
  };
}

const post = (body: unknown, token: string | null = TOKEN) =>
  h.app.internal.inject({
    method: 'POST',
    url: ALERT_WEBHOOK_PATH,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    payload: body as object,
  });

const payload = (...items: ReturnType<typeof alert>[]) => ({ version: '4', status: items[0]?.status, receiver: 'platform', alerts: items });

const mailsFor = (fingerprint: string) =>
  h.platform.db
    .select({ subject: mailOutbox.subject, text: mailOutbox.text })
    .from(mailOutbox)
    .where(eq(mailOutbox.to, OPERATOR))
    .then((rows) => rows.filter((r) => r.text.includes(`test:${fingerprint}`)));

describe('alert webhook', () => {
  it('refuses a request without the token, with a wrong one, and a malformed payload', async () => {
    const fingerprint = randomUUID().slice(0, 16);
    const body = payload(alert('firing', fingerprint, new Date().toISOString()));
    expect((await post(body, null)).statusCode).toBe(401);
    expect((await post(body, `${TOKEN}x`)).statusCode).toBe(401);
    expect((await post(body, 'short')).statusCode).toBe(401);
    expect((await post({ alerts: [{ status: 'firing' }] })).statusCode).toBe(400);
    expect(await h.platform.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprint))).toHaveLength(0);
  });

  it('is not served on the public API', async () => {
    const res = await call(h.app, 'POST', ALERT_WEBHOOK_PATH, { headers: { authorization: `Bearer ${TOKEN}` }, body: payload() });
    expect(res.statusCode).toBe(404);
  });

  it('records a firing alert once, resolves it once, and mails each transition once', async () => {
    const fingerprint = randomUUID().slice(0, 16);
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    for (let i = 0; i < 3; i++) {
      const res = await post(payload(alert('firing', fingerprint, startsAt)));
      expect(res.statusCode, res.body).toBe(200);
    }
    let rows = await h.platform.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprint));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'WorkerDown', severity: 'critical', status: 'firing', endsAt: null });
    expect(rows[0]?.notifiedAt).not.toBeNull();
    expect((await mailsFor(fingerprint)).map((m) => m.subject)).toEqual([`[FIRING] WorkerDown: Worker test:${fingerprint} is down`]);

    for (let i = 0; i < 2; i++) expect((await post(payload(alert('resolved', fingerprint, startsAt)))).statusCode).toBe(200);
    rows = await h.platform.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprint));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('resolved');
    expect(rows[0]?.endsAt).toBeInstanceOf(Date);
    const subjects = (await mailsFor(fingerprint)).map((m) => m.subject).sort();
    expect(subjects).toEqual([
      `[FIRING] WorkerDown: Worker test:${fingerprint} is down`,
      `[RESOLVED] WorkerDown: Worker test:${fingerprint} is down`,
    ]);

    // The same alert firing again later is a new occurrence: a new row and a new mail.
    await post(payload(alert('firing', fingerprint, new Date().toISOString())));
    rows = await h.platform.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprint));
    expect(rows.map((r) => r.status).sort()).toEqual(['firing', 'resolved']);
    expect(await mailsFor(fingerprint)).toHaveLength(3);
  });

  it('keeps a resolution whose firing it never saw, without mailing', async () => {
    const fingerprint = randomUUID().slice(0, 16);
    await post(payload(alert('resolved', fingerprint, new Date(Date.now() - 120_000).toISOString())));
    const rows = await h.platform.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprint));
    expect(rows.map((r) => r.status)).toEqual(['resolved']);
    expect(await mailsFor(fingerprint)).toHaveLength(0);
  });
});

describe('GET /admin/alerts', () => {
  it('lists firing alerts to staff, filtered and paged, and refuses tenant users', async () => {
    const fingerprint = randomUUID().slice(0, 16);
    await post(payload(alert('firing', fingerprint, new Date().toISOString(), { severity: 'warning' })));
    for (const user of [admin, support]) {
      const res = await call(h.app, 'GET', '/api/v1/admin/alerts?status=firing&limit=200', { client: user });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as {
        items: { name: string; status: string; labels: Record<string, string>; severity: string; summary: string; endsAt: string | null }[];
        total: number;
      };
      expect(body.total).toBeGreaterThanOrEqual(1);
      expect(body.items.every((a) => a.status === 'firing')).toBe(true);
      expect(body.items.find((a) => a.labels.instance === `test:${fingerprint}`)).toMatchObject({
        name: 'WorkerDown',
        severity: 'warning',
        summary: `Worker test:${fingerprint} is down`,
        endsAt: null,
      });
    }
    const paged = await call(h.app, 'GET', '/api/v1/admin/alerts?limit=1&offset=0', { client: admin });
    expect((paged.json() as { items: unknown[] }).items).toHaveLength(1);
    const resolved = await call(h.app, 'GET', '/api/v1/admin/alerts?status=resolved', { client: admin });
    expect((resolved.json() as { items: { status: string }[] }).items.every((a) => a.status === 'resolved')).toBe(true);
    expect((await call(h.app, 'GET', '/api/v1/admin/alerts', { client: tenantUser })).statusCode).toBe(403);
    expect((await call(h.app, 'GET', '/api/v1/admin/alerts')).statusCode).toBe(401);
  });
});

describe('recipients', () => {
  it('are the enabled platform admins when ALERT_EMAIL_TO is unset', async () => {
    const other = await startHarness({ withWorker: false, env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN } });
    try {
      const fingerprint = randomUUID().slice(0, 16);
      const res = await other.app.internal.inject({
        method: 'POST',
        url: ALERT_WEBHOOK_PATH,
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: payload(alert('firing', fingerprint, new Date().toISOString())),
      });
      expect(res.statusCode, res.body).toBe(200);
      const to = (await other.platform.db.select({ to: mailOutbox.to, text: mailOutbox.text }).from(mailOutbox))
        .filter((m) => m.text.includes(`test:${fingerprint}`))
        .map((m) => m.to.toLowerCase());
      expect(to).toContain(admin.email.toLowerCase());
      expect(to).not.toContain(support.email.toLowerCase());
      expect(to).not.toContain(OPERATOR);
    } finally {
      await other.close();
    }
  });
});
