import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { InstanceDto } from '../../src/instances/instances.schemas.js';
import type { MailboxMessage } from '../../src/mail/dev-mailbox.routes.js';
import { STRONG_PASSWORD, tokenFromLink } from '../harness.js';

/** A tenant owner who confirmed the address and logged in. */
export interface Owner {
  email: string;
  tenantId: string;
  token: string;
}

/**
 * A running platform (its own API process) as users reach it over HTTP: sign-up through the dev mailbox,
 * login, instances. `diagnostics` adds the processes' logs to a timeout's message.
 */
export function platformClient(apiUrl: string, diagnostics: () => Promise<string> = async () => '') {
  async function api<T>(method: string, path: string, options: { token?: string; body?: unknown; ip?: string } = {}) {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        ...(options.body ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        // Sign-ups come from many addresses, as they would: the API's own per-address limits stay out of the way.
        'x-forwarded-for': options.ip ?? `10.78.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
      },
      ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, text };
  }

  async function mailsTo(email: string) {
    const res = await api<MailboxMessage[]>('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
    return res.status === 200 ? res.body : [];
  }

  async function signup(label: string) {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
    const res = await api('POST', '/api/v1/auth/signup', {
      body: { email, password: STRONG_PASSWORD, name: 'Chaos', organization: `Org ${email}` },
    });
    // Sign-up answers 202 "check your mail" either way; the tenant is read after login.
    expect(res.status, res.text).toBe(202);
    return { email };
  }

  async function confirmationMail(email: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const mail = (await mailsTo(email).catch(() => [])).find((m) => m.subject.includes('Confirm'));
      if (mail) return mail;
      await sleep(200);
    }
    throw new Error(`no confirmation mail for ${email} within ${timeoutMs} ms\n${await diagnostics()}`);
  }

  /** A fresh access token (they live 15 minutes). */
  async function login(email: string) {
    const res = await api<{ accessToken: string }>('POST', '/api/v1/auth/login', { body: { email, password: STRONG_PASSWORD } });
    expect(res.status, res.text).toBe(200);
    return res.body.accessToken;
  }

  async function owner(label: string): Promise<Owner> {
    const { email } = await signup(label);
    const mail = await confirmationMail(email);
    const verified = await api('POST', '/api/v1/auth/verify-email', { body: { token: tokenFromLink(mail.links[0] ?? '') } });
    expect(verified.status, verified.text).toBe(204);
    const token = await login(email);
    const me = await api<{ tenants: { id: string; role: string }[] }>('GET', '/api/v1/me', { token });
    expect(me.status, me.text).toBe(200);
    const tenantId = me.body.tenants.find((t) => t.role === 'owner')?.id;
    if (!tenantId) throw new Error(`${email} owns no tenant after sign-up`);
    return { email, tenantId, token };
  }

  async function createInstance(by: Owner, label: string) {
    const slug = `${label}-${randomUUID().slice(0, 6)}`;
    const res = await api<InstanceDto>('POST', `/api/v1/tenants/${by.tenantId}/instances`, {
      token: by.token,
      body: { name: `Chaos ${label}`, slug },
    });
    expect(res.status, res.text).toBe(202);
    return { instance: res.body, createdAt: Date.now() };
  }

  /** Polls the instance until one of `statuses` (`deleted` also matches a 404); returns when it got there. */
  async function waitForInstance(id: string, token: string, statuses: InstanceDto['status'][], timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const res = await api<InstanceDto>('GET', `/api/v1/instances/${id}`, { token }).catch((err: Error) => ({
        status: 0,
        body: null,
        text: err.message,
      }));
      last = res.text;
      if (res.status === 200 && res.body && statuses.includes(res.body.status)) return { instance: res.body, at: Date.now() };
      if (res.status === 404 && statuses.includes('deleted')) return { instance: null, at: Date.now() };
      await sleep(250);
    }
    throw new Error(`instance ${id} did not reach ${statuses.join('/')} within ${timeoutMs} ms; last: ${last}\n${await diagnostics()}`);
  }

  return { api, mailsTo, signup, confirmationMail, login, owner, createInstance, waitForInstance };
}

export type PlatformClient = ReturnType<typeof platformClient>;
