import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/http/logger.js';
import {
  call,
  fakeIp,
  type Harness,
  refreshCookieFrom,
  STRONG_PASSWORD,
  startHarness,
  tokenFromLink,
  uniqueEmail,
  waitForMail,
} from '../harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('health and readiness', () => {
  it('answers /health and /ready with everything ok', async () => {
    const health = await call(h.app, 'GET', '/api/v1/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await call(h.app, 'GET', '/api/v1/ready');
    expect(ready.statusCode, ready.body).toBe(200);
    const ok = { status: 'ok' };
    // The harness runs a worker in-process, so its heartbeat counts too.
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: ok, redis: ok, queue: ok, docker: ok, worker: ok } });
  });

  it('answers /ready with 503 naming Redis when Redis is unreachable, and stays alive', async () => {
    const broken = await startHarness({ withWorker: false, env: { REDIS_URL: 'redis://127.0.0.1:1/0' } });
    try {
      const ready = await call(broken.app, 'GET', '/api/v1/ready');
      expect(ready.statusCode, ready.body).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'not_ready',
        checks: { postgres: { status: 'ok' }, redis: { status: 'fail', error: expect.any(String) }, docker: { status: 'ok' } },
      });
      expect(ready.json().checks.postgres.error).toBeUndefined();
      expect((await call(broken.app, 'GET', '/api/v1/health')).statusCode).toBe(200);
    } finally {
      await broken.close();
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus text with request durations by route, on the internal server only', async () => {
    await call(h.app, 'GET', '/api/v1/health');
    expect((await call(h.app, 'GET', '/api/metrics')).statusCode).toBe(404);
    const res = await h.app.internal.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*method="GET"[^}]*route="\/api\/v1\/health"[^}]*status="200"/);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
  });
});

describe('request ids', () => {
  it('puts an x-request-id on every response, also in problem bodies', async () => {
    const responses: LightMyRequestResponse[] = [
      await call(h.app, 'GET', '/api/v1/health'),
      await call(h.app, 'GET', '/api/v1/nope'),
      await call(h.app, 'GET', '/api/v1/me'),
      await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: 42 } }),
      await call(h.app, 'GET', '/api/metrics'),
      await call(h.app, 'GET', '/api/openapi.json'),
    ];
    const ids = responses.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const res of responses.filter((r) => r.statusCode >= 400)) expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });

  it('echoes a valid incoming X-Request-Id and replaces an invalid one', async () => {
    const incoming = `nginx-${randomUUID()}`;
    const res = await call(h.app, 'GET', '/api/v1/me', { headers: { 'x-request-id': incoming } });
    expect(res.headers['x-request-id']).toBe(incoming);
    expect(res.json().requestId).toBe(incoming);
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(65), 'id;rm -rf /', 'id\u00e9-with-accent']) {
      const replaced = await call(h.app, 'GET', '/api/v1/health', { headers: { 'x-request-id': bad } });
      expect(replaced.headers['x-request-id']).not.toBe(bad);
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('logs', () => {
  it('log every request id, at trace level, and never a password, token or TOTP secret', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    // The production logger settings (redaction included), at the most verbose level.
    const production = loggerOptions('trace');
    if (typeof production !== 'object') throw new Error('loggerOptions should return options');
    const logged = await startHarness({ logger: { ...production, stream } });
    const secrets: string[] = [];
    const requestIds: string[] = [];
    const track = (res: LightMyRequestResponse) => {
      requestIds.push(String(res.headers['x-request-id']));
      return res;
    };
    try {
      const ip = fakeIp();
      const email = uniqueEmail('logs');
      const newPassword = 'logged-Never-pass-77';
      secrets.push(STRONG_PASSWORD, newPassword);
      const post = async (url: string, options: { body?: unknown; token?: string; cookie?: string } = {}) =>
        track(
          await call(logged.app, 'POST', url, {
            client: { ip, ...(options.token ? { token: options.token } : {}), ...(options.cookie ? { cookie: options.cookie } : {}) },
            ...(options.body === undefined ? {} : { body: options.body }),
          }),
        );
      const remember = (res: LightMyRequestResponse) => {
        expect(res.statusCode, res.body).toBe(200);
        secrets.push(res.json().accessToken, refreshCookieFrom(res)?.split('=')[1] ?? 'missing');
        return { token: res.json().accessToken as string, cookie: refreshCookieFrom(res) ?? '' };
      };

      expect(
        (await post('/api/v1/auth/signup', { body: { email, password: STRONG_PASSWORD, name: 'Log', organization: 'Log' } })).statusCode,
      ).toBe(202);
      const verifyToken = tokenFromLink((await waitForMail(logged.app, email, 'Confirm')).links[0] ?? '');
      secrets.push(verifyToken);
      expect((await post('/api/v1/auth/verify-email', { body: { token: verifyToken } })).statusCode).toBe(204);

      const first = remember(await post('/api/v1/auth/login', { body: { email, password: STRONG_PASSWORD } }));
      expect((await post('/api/v1/auth/login', { body: { email, password: `${STRONG_PASSWORD}-wrong` } })).statusCode).toBe(401);
      secrets.push(`${STRONG_PASSWORD}-wrong`);
      const second = remember(await post('/api/v1/auth/refresh', { cookie: first.cookie }));
      expect(
        (await post('/api/v1/me/password', { token: second.token, body: { currentPassword: STRONG_PASSWORD, newPassword } })).statusCode,
      ).toBe(204);

      const setup = await post('/api/v1/me/totp/setup', { token: second.token });
      const secret = setup.json().secret as string;
      secrets.push(secret);
      const totp = new TOTP({ secret: Secret.fromBase32(secret) });
      const enable = await post('/api/v1/me/totp/enable', { token: second.token, body: { code: totp.generate() } });
      expect(enable.statusCode, enable.body).toBe(200);
      const recoveryCodes = enable.json().recoveryCodes as string[];
      secrets.push(...recoveryCodes);
      expect((await post('/api/v1/auth/login', { body: { email, password: newPassword } })).json().code).toBe('totp_required');
      remember(
        await post('/api/v1/auth/login', {
          body: { email, password: newPassword, totpCode: totp.generate({ timestamp: Date.now() + 30_000 }) },
        }),
      );
      remember(await post('/api/v1/auth/login', { body: { email, password: newPassword, recoveryCode: recoveryCodes[0] } }));

      expect((await post('/api/v1/auth/forgot-password', { body: { email } })).statusCode).toBe(202);
      const resetToken = tokenFromLink((await waitForMail(logged.app, email, 'Reset')).links[0] ?? '');
      secrets.push(resetToken);
      expect((await post('/api/v1/auth/reset-password', { body: { token: resetToken, password: `${newPassword}-2` } })).statusCode).toBe(
        204,
      );
      secrets.push(`${newPassword}-2`);
      expect((await post('/api/v1/auth/logout', { token: second.token, cookie: second.cookie })).statusCode).toBe(204);
    } finally {
      await logged.close();
    }

    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(requestIds.length);
    expect(lines.every((line) => JSON.parse(line).level >= 10)).toBe(true);
    expect(text).toContain('"msg":"incoming request"');
    for (const id of requestIds) expect(text).toContain(`"reqId":"${id}"`);
    expect(secrets.length).toBeGreaterThan(20);
    for (const value of secrets) {
      expect(value.length).toBeGreaterThan(5);
      expect(text.includes(value), `a secret reached the logs: ${value.slice(0, 6)}…`).toBe(false);
    }
  });
});
