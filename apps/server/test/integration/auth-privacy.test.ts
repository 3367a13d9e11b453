import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/auth/auth.tables.js';
import { AUTH_LIMITS } from '../../src/auth/rate-limits.js';
import type { MailboxMessage } from '../../src/mail/dev-mailbox.routes.js';
import { call, createUser, fakeIp, type Harness, startHarness, tokenFromLink, uniqueEmail, waitForMail } from '../harness.js';

/** Sign-up and the verification mail never tell whether an address has an account. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const OTHER_PASSWORD = 'someone-Elses-pass-31';

const mailbox = async (to: string) =>
  (await call(h.app, 'GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`)).json() as MailboxMessage[];

const userCount = (email: string) =>
  h.platform.db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .then((rows) => rows[0]?.n);

/** Everything a caller sees of an answer, minus the id every request gets (a problem's `requestId`). */
const observable = (res: LightMyRequestResponse) => {
  const { requestId: _requestId, ...body } = (res.body ? res.json() : {}) as Record<string, unknown>;
  return { status: res.statusCode, contentType: res.headers['content-type'], body, cookies: res.cookies.map((c) => c.name) };
};

describe('sign-up', () => {
  it('answers a taken address exactly like a new one, and mails the owner instead of changing anything', async () => {
    const owner = await createUser(h, { label: 'taken' });
    const signup = (email: string) =>
      call(h.app, 'POST', '/api/v1/auth/signup', {
        client: { ip: fakeIp() },
        body: { email, password: OTHER_PASSWORD, name: 'Mallory', organization: 'Mallory Org' },
      });
    const fresh = uniqueEmail('fresh');
    const forNew = await signup(fresh);
    const forTaken = await signup(owner.email.toUpperCase());
    expect(forNew.statusCode, forNew.body).toBe(202);
    expect(observable(forTaken)).toEqual(observable(forNew));
    expect(forNew.json()).toEqual({ status: 'check_your_mail', message: expect.any(String) });

    // The owner is told, with ways in; no verification link for someone else's password.
    const note = await waitForMail(h.app, owner.email, 'Someone tried to sign up');
    expect(note.links).toEqual(['http://localhost:8080/login', 'http://localhost:8080/forgot-password']);
    expect((await mailbox(owner.email)).filter((m) => m.subject.includes('Confirm'))).toHaveLength(1); // the owner's own
    // The new address got its verification mail.
    await waitForMail(h.app, fresh, 'Confirm your email');

    // Nothing about the existing account changed: same password, one account, one tenant.
    expect(await userCount(owner.email)).toBe(1);
    const wrong = await call(h.app, 'POST', '/api/v1/auth/login', {
      client: { ip: fakeIp() },
      body: { email: owner.email, password: OTHER_PASSWORD },
    });
    expect(wrong.json().code).toBe('invalid_credentials');
    const me = await call(h.app, 'GET', '/api/v1/me', { client: owner });
    expect(me.json().tenants).toEqual([{ id: owner.tenantId, name: `Org of ${owner.email}`, role: 'owner' }]);
  });

  it('answers alike for an unconfirmed account too, and a weak password is refused before anything is looked up', async () => {
    const pending = await createUser(h, { label: 'pending', verify: false });
    const body = (email: string, password: string) => ({ email, password, name: 'M', organization: 'M' });
    const taken = await call(h.app, 'POST', '/api/v1/auth/signup', { client: { ip: fakeIp() }, body: body(pending.email, OTHER_PASSWORD) });
    const fresh = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip: fakeIp() },
      body: body(uniqueEmail('f2'), OTHER_PASSWORD),
    });
    expect(observable(taken)).toEqual(observable(fresh));
    await waitForMail(h.app, pending.email, 'Someone tried to sign up');

    const weakTaken = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip: fakeIp() },
      body: body(pending.email, 'password123'),
    });
    const weakNew = await call(h.app, 'POST', '/api/v1/auth/signup', {
      client: { ip: fakeIp() },
      body: body(uniqueEmail('f3'), 'password123'),
    });
    expect(weakTaken.statusCode).toBe(400);
    expect(observable(weakTaken)).toEqual(observable(weakNew));
  });
});

describe('resend verification', () => {
  it('mails a new link only to an unconfirmed account, answering 202 alike for unknown and confirmed addresses', async () => {
    const pending = await createUser(h, { label: 'resend-pending', verify: false });
    const confirmed = await createUser(h, { label: 'resend-confirmed' });
    const unknown = uniqueEmail('resend-unknown');
    const resend = (email: string) =>
      call(h.app, 'POST', '/api/v1/auth/resend-verification', { client: { ip: fakeIp() }, body: { email } });

    const answers = [await resend(pending.email), await resend(confirmed.email), await resend(unknown)];
    expect(answers[0]?.statusCode).toBe(202);
    for (const res of answers) expect(observable(res)).toEqual(observable(answers[0] as LightMyRequestResponse));

    // The pending account gets a second, working link; the others get nothing new.
    const deadline = Date.now() + 10_000;
    while ((await mailbox(pending.email)).filter((m) => m.subject.includes('Confirm')).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const links = (await mailbox(pending.email)).filter((m) => m.subject.includes('Confirm')).map((m) => m.links[0] ?? '');
    expect(links).toHaveLength(2);
    const verified = await call(h.app, 'POST', '/api/v1/auth/verify-email', { body: { token: tokenFromLink(links[0] ?? '') } });
    expect(verified.statusCode, verified.body).toBe(204);
    expect((await mailbox(confirmed.email)).filter((m) => m.subject.includes('Confirm'))).toHaveLength(1);
    expect(await mailbox(unknown)).toEqual([]);
  });

  it('limits resends per address (known or not) and per source, with 429 and Retry-After', async () => {
    const perAddress = AUTH_LIMITS.resendVerification.account;
    const perSource = AUTH_LIMITS.resendVerification.ip;
    const pending = await createUser(h, { label: 'resend-limit', verify: false });
    const unknown = uniqueEmail('resend-limit-unknown');
    const resend = (email: string, ip = fakeIp()) =>
      call(h.app, 'POST', '/api/v1/auth/resend-verification', { client: { ip }, body: { email } });

    const expectLimited = (res: LightMyRequestResponse, windowSeconds: number) => {
      expect(res.statusCode, res.body).toBe(429);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(windowSeconds);
    };
    for (let i = 0; i < perAddress.points; i++) {
      expect((await resend(pending.email)).statusCode).toBe(202);
      expect((await resend(unknown)).statusCode).toBe(202);
    }
    const [limitedKnown, limitedUnknown] = [await resend(pending.email.toUpperCase()), await resend(unknown)];
    expectLimited(limitedKnown, perAddress.durationSeconds);
    expect(observable(limitedKnown)).toEqual(observable(limitedUnknown));
    // At most `points` new links reached the mailbox (plus the sign-up's own).
    await new Promise((r) => setTimeout(r, 500));
    const sent = (await mailbox(pending.email)).filter((m) => m.subject.includes('Confirm'));
    expect(sent.length).toBeLessThanOrEqual(perAddress.points + 1);

    // Per source: one IP naming many addresses is cut off too.
    const ip = fakeIp();
    for (let i = 0; i < perSource.points; i++) expect((await resend(uniqueEmail('resend-src'), ip)).statusCode).toBe(202);
    expectLimited(await resend(uniqueEmail('resend-src'), ip), perSource.durationSeconds);
  });

  it('is public: no session needed, and an empty body is a 400 problem', async () => {
    const res = await call(h.app, 'POST', '/api/v1/auth/resend-verification', { client: { ip: fakeIp() }, body: {} });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
