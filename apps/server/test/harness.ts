import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { PlatformRole } from '../src/auth/auth.schemas.js';
import { UsersRepository } from '../src/auth/users.repo.js';
import { type App, buildApp } from '../src/http/app.js';
import { startWorkers, type WorkerOptions } from '../src/jobs/workers.js';
import type { MailboxMessage } from '../src/mail/dev-mailbox.routes.js';
import { createPlatform, type Platform } from '../src/platform.js';
import { testConfig } from './test-env.js';

export interface Harness {
  app: App;
  platform: Platform;
  close(): Promise<void>;
}

/** The real API (in-process) with a real worker, PostgreSQL and Redis. Each harness has its own queue prefix. */
export async function startHarness(
  options: { withWorker?: boolean; env?: Record<string, string>; logger?: object; workerOptions?: WorkerOptions } = {},
): Promise<Harness> {
  // Each harness has its own queues, so a file's worker only takes that file's jobs.
  const config = testConfig({ QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`, ...options.env });
  const platform = createPlatform(config);
  const app = await buildApp(platform, { logger: options.logger ?? false });
  await app.ready();
  const workers = options.withWorker === false ? null : await startWorkers(platform, { maintenance: false, ...options.workerOptions });
  return {
    app,
    platform,
    async close() {
      await workers?.close();
      await app.close();
      await platform.close();
    },
  };
}

let ipCounter = 0;
/** A distinct client address per test scenario, so rate limits of one test do not touch another. */
export const fakeIp = () => `10.${(process.pid >> 8) & 255}.${process.pid & 255}.${++ipCounter % 250}`;
export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 12)}@example.com`;
export const STRONG_PASSWORD = 'correct-Horse-battery-9';

export interface Client {
  ip: string;
  token?: string;
  cookie?: string;
}

export async function call(
  app: App,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  options: { client?: Client; body?: unknown; headers?: Record<string, string>; payload?: string } = {},
): Promise<LightMyRequestResponse> {
  const client = options.client;
  const headers: Record<string, string> = { 'x-forwarded-for': client?.ip ?? fakeIp(), ...options.headers };
  if (client?.token) headers.authorization = `Bearer ${client.token}`;
  if (client?.cookie) headers.cookie = client.cookie;
  return app.inject({
    method,
    url,
    headers,
    ...(options.payload !== undefined
      ? { payload: options.payload }
      : options.body !== undefined
        ? { payload: options.body as object }
        : {}),
  });
}

export function refreshCookieFrom(res: LightMyRequestResponse): string | undefined {
  // `__Host-saas_refresh` when the platform runs under TLS (auth.routes.ts).
  const cookie = res.cookies.find((c) => c.name === 'saas_refresh' || c.name === '__Host-saas_refresh');
  return cookie?.value ? `${cookie.name}=${cookie.value}` : undefined;
}

/** Waits for a mail to arrive in the local mailbox (delivered by the real worker through the outbox). */
export async function waitForMail(app: App, to: string, subjectIncludes: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await call(app, 'GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
    expect(res.statusCode).toBe(200);
    const mail = (res.json() as MailboxMessage[]).find((m) => m.subject.includes(subjectIncludes));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subjectIncludes}" for ${to} within ${timeoutMs} ms`);
}

export const tokenFromLink = (link: string) => {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
};

export interface TestUser extends Client {
  email: string;
  userId: string;
  tenantId: string;
  token: string;
}

/**
 * Signs up and logs in. `verify`: 'mail' (default) follows the link from the mailbox (needs the worker),
 * 'direct' marks the address verified in the database (for harnesses without a worker), false leaves it unverified.
 * `platformRole` makes the user staff (the role is read at each request, so the session has it at once).
 */
export async function createUser(
  h: Harness,
  options: { verify?: 'mail' | 'direct' | false; label?: string; platformRole?: PlatformRole } = {},
): Promise<TestUser> {
  const email = uniqueEmail(options.label);
  const user = await signUpAndLogIn(
    h,
    { email, name: 'Test User', organization: `Org of ${email}`, ip: fakeIp() },
    options.verify ?? 'mail',
  );
  if (options.platformRole) await new UsersRepository(h.platform.db).update(user.userId, { platformRole: options.platformRole });
  return user;
}

/**
 * The sign-up as a client sees it: 202 "check your mail" (which never says whether the account is new),
 * then login; the new account and its tenant are read from `/me`.
 */
export async function signUpAndLogIn(
  h: Harness,
  person: { email: string; name: string; organization: string; ip: string },
  verify: 'mail' | 'direct' | false,
): Promise<TestUser> {
  const { email, ip } = person;
  const signup = await call(h.app, 'POST', '/api/v1/auth/signup', {
    client: { ip },
    body: { email, password: STRONG_PASSWORD, name: person.name, organization: person.organization },
  });
  expect(signup.statusCode, signup.body).toBe(202);
  if (verify === 'direct') {
    const users = new UsersRepository(h.platform.db);
    const row = await users.findByEmail(email);
    if (!row) throw new Error(`sign-up created no account for ${email}`);
    await users.update(row.id, { emailVerifiedAt: new Date() });
  }
  if (verify === 'mail') {
    const mail = await waitForMail(h.app, email, 'Confirm');
    const link = mail.links[0] ?? '';
    const verified = await call(h.app, 'POST', '/api/v1/auth/verify-email', { client: { ip }, body: { token: tokenFromLink(link) } });
    expect(verified.statusCode, verified.body).toBe(204);
  }
  const login = await call(h.app, 'POST', '/api/v1/auth/login', { client: { ip }, body: { email, password: STRONG_PASSWORD } });
  expect(login.statusCode, login.body).toBe(200);
  const token: string = login.json().accessToken;
  const me = await call(h.app, 'GET', '/api/v1/me', { client: { ip, token } });
  expect(me.statusCode, me.body).toBe(200);
  const { user, tenants } = me.json() as { user: { id: string }; tenants: { id: string; role: string }[] };
  const owned = tenants.find((t) => t.role === 'owner');
  if (!owned) throw new Error(`${email} owns no tenant after sign-up`);
  return { email, ip, userId: user.id, tenantId: owned.id, token, cookie: refreshCookieFrom(login) ?? '' };
}

/** Brings a user into the owner's tenant the way people do it: invitation mail, then accept. */
export async function joinTenant(h: Harness, owner: TestUser, user: TestUser, role: 'admin' | 'member') {
  const invite = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/invitations`, {
    client: owner,
    body: { email: user.email, role },
  });
  expect(invite.statusCode, invite.body).toBe(201);
  const mail = await waitForMail(h.app, user.email, 'invited you');
  const accepted = await call(h.app, 'POST', '/api/v1/invitations/accept', {
    client: user,
    body: { token: tokenFromLink(mail.links[0] ?? '') },
  });
  expect(accepted.statusCode, accepted.body).toBe(200);
}
