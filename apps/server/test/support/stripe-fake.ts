import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { FakeStripeApi, newId, nowSeconds, StripeHttpError } from './stripe-fake-api.js';
import { type Form, parseForm } from './stripe-form.js';

export type { FakeInvoice, FakeSession, FakeSubscription } from './stripe-fake-objects.js';

/**
 * A local stand-in for the Stripe API endpoints the platform calls, and for Stripe's hosted checkout and
 * portal pages. The real SDK reaches it through its host/port/protocol settings (STRIPE_API_URL). It keeps
 * its objects in memory, replays the answer of a repeated Idempotency-Key as Stripe does, and sends
 * webhooks signed with the SDK's own test-header helper.
 */

export interface FakeRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: Form;
}

export interface FakeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  pending_webhooks: number;
  data: { object: object; previous_attributes?: object };
  request: { id: null; idempotency_key: null };
}

/** One webhook: what was sent and how the endpoint answered (status null: not sent, or unreachable). */
export interface Delivery {
  event: FakeEvent;
  status: number | null;
  body: string;
  error: string | null;
}

export interface StripeFake {
  url: string;
  /** Every API request, in order (idempotent replays included). */
  requests: FakeRequest[];
  state: FakeStripeApi;
  /** Every webhook, in order; recorded without being sent while there is no webhook URL. */
  deliveries: Delivery[];
  /** Where webhooks go: the API under test usually starts after the fake, as it needs the fake's URL. */
  setWebhookUrl(url: string | null): void;
  /** A Stripe-shaped event about `object` (a snapshot of it). */
  event(type: string, object: object, opts?: { created?: number }): FakeEvent;
  /** The body and Stripe-Signature header Stripe would send for `event`. */
  signedPayload(event: FakeEvent): { body: string; header: string };
  /** Builds an event and delivers it signed; resolves once the endpoint answered. */
  sendEvent(type: string, object: object, opts?: { created?: number }): Promise<Delivery>;
  /** A renewal fails: an open invoice (invoice.finalized, invoice.payment_failed) and customer.subscription.updated to past_due. */
  failPayment(subscriptionId: string): Promise<Delivery[]>;
  /** The open invoice (or the next one) is paid: invoice.paid, and customer.subscription.updated to active with the next period. */
  payInvoice(subscriptionId: string): Promise<Delivery[]>;
  /** The subscription ends now: customer.subscription.deleted. */
  cancelSubscription(subscriptionId: string): Promise<Delivery[]>;
  /** Resolves when every webhook queued so far has been delivered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const html = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startStripeFake(options: { webhookSecret: string; webhookUrl?: string | null }): Promise<StripeFake> {
  let webhookUrl = options.webhookUrl ?? null;
  let url = '';
  const requests: FakeRequest[] = [];
  const deliveries: Delivery[] = [];
  const replays = new Map<string, { fingerprint: string; status: number; body: string }>();
  let outbox: Promise<unknown> = Promise.resolve();

  function event(type: string, object: object, opts: { created?: number } = {}): FakeEvent {
    return {
      id: newId('evt'),
      object: 'event',
      type,
      created: opts.created ?? nowSeconds(),
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      // A snapshot: later changes to the object must not change what was sent.
      data: { object: structuredClone(object) },
      request: { id: null, idempotency_key: null },
    };
  }

  function signedPayload(e: FakeEvent) {
    const body = JSON.stringify(e, null, 2);
    return { body, header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.webhookSecret }) };
  }

  async function deliver(e: FakeEvent): Promise<Delivery> {
    const delivery: Delivery = { event: e, status: null, body: '', error: null };
    deliveries.push(delivery);
    if (!webhookUrl) return delivery;
    const { body, header } = signedPayload(e);
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        body,
      });
      delivery.status = res.status;
      delivery.body = await res.text();
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
    }
    return delivery;
  }

  /** Webhooks go out one at a time in the order they were made (Stripe does not promise that; tests send out of order on purpose). */
  function queue(events: FakeEvent[]): Promise<Delivery[]> {
    const sent = outbox.then(async () => {
      const out: Delivery[] = [];
      for (const e of events) out.push(await deliver(e));
      return out;
    });
    outbox = sent.catch(() => undefined);
    return sent;
  }

  function updated(object: object, previous: object): FakeEvent {
    const e = event('customer.subscription.updated', object);
    e.data.previous_attributes = structuredClone(previous);
    return e;
  }

  const api = new FakeStripeApi(
    () => url,
    (type, object, previous) => {
      const e = previous && type === 'customer.subscription.updated' ? updated(object, previous) : event(type, object);
      void queue([e]);
    },
  );

  async function pay(sessionId: string): Promise<string> {
    const session = api.sessions.get(sessionId);
    if (!session) throw new StripeHttpError(404, { type: 'invalid_request_error', message: `No such checkout session: ${sessionId}` });
    if (session.status === 'complete') return session.success_url;
    const { subscription, invoice } = api.completeCheckout(session);
    const finalized = event('invoice.finalized', invoice);
    api.markPaid(invoice);
    // Delivered before the redirect, so the page the customer lands on can already see them (Stripe gives no such promise).
    await queue([
      event('checkout.session.completed', session),
      event('customer.subscription.created', subscription),
      finalized,
      event('invoice.paid', invoice),
    ]);
    return session.success_url;
  }

  function handleApi(
    req: http.IncomingMessage,
    method: string,
    path: string,
    raw: string,
  ): { status: number; body: string; headers?: Record<string, string> } {
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const form = parseForm(raw);
    requests.push({ method, path, idempotencyKey, body: form });
    if (!/^Bearer (sk|rk)_test_/.test(req.headers.authorization ?? '')) {
      return { status: 401, body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } }) };
    }
    const fingerprint = `${method} ${path} ${raw}`;
    const replay = idempotencyKey && method === 'POST' ? replays.get(idempotencyKey) : undefined;
    if (replay && replay.fingerprint !== fingerprint) {
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`;
      return { status: 400, body: JSON.stringify({ error: { type: 'idempotency_error', message } }) };
    }
    if (replay) return { status: replay.status, body: replay.body, headers: { 'idempotent-replayed': 'true' } };
    try {
      const body = JSON.stringify(api.handle(method, path, form));
      // Only requests that ran are remembered: a refused one may be retried with the same key.
      if (idempotencyKey && method === 'POST') replays.set(idempotencyKey, { fingerprint, status: 200, body });
      return { status: 200, body, headers: { 'request-id': newId('req') } };
    } catch (err) {
      if (!(err instanceof StripeHttpError)) throw err;
      return { status: err.status, body: JSON.stringify({ error: err.body }), headers: { 'stripe-should-retry': 'false' } };
    }
  }

  /** Stripe's hosted pages, reduced to what a browser test walks through. */
  async function handlePage(method: string, path: string): Promise<{ status: number; body: string; headers?: Record<string, string> }> {
    const [, page, id, action] = path.split('/');
    if (page === 'checkout' && id && method === 'GET' && !action) {
      const session = api.sessions.get(id);
      if (!session) return { status: 404, body: html('Not found', '') };
      const price = api.prices.get(session.line_items[0]?.price ?? '');
      const amount = price ? `${(price.unit_amount / 100).toFixed(2)} ${price.currency.toUpperCase()} / ${price.recurring.interval}` : '';
      const trial = session.subscription_data.trial_period_days
        ? `<p>${session.subscription_data.trial_period_days}-day free trial</p>`
        : '';
      const back = session.cancel_url ? `<a href="${escapeHtml(session.cancel_url)}">Back</a>` : '';
      const form = `<form method="post" action="/checkout/${id}/pay"><button type="submit">Pay</button></form>`;
      return { status: 200, body: html('Fake Stripe Checkout', `<p>${escapeHtml(amount)}</p>${trial}${form}${back}`) };
    }
    if (page === 'checkout' && id && method === 'POST' && action === 'pay') {
      try {
        return { status: 303, body: '', headers: { location: await pay(id) } };
      } catch (err) {
        return { status: 404, body: html('Not found', escapeHtml(err instanceof Error ? err.message : String(err))) };
      }
    }
    if (page === 'portal' && id && method === 'GET') {
      const portal = api.portalSessions.get(id);
      if (!portal) return { status: 404, body: html('Not found', '') };
      return { status: 200, body: html('Fake Stripe customer portal', `<a href="${escapeHtml(portal.return_url)}">Return</a>`) };
    }
    if (page === 'invoices' && id && method === 'GET') {
      const invoice = api.invoices.get(id);
      if (!invoice) return { status: 404, body: html('Not found', '') };
      return { status: 200, body: html(`Invoice ${invoice.number}`, `<p>${invoice.status}</p>`) };
    }
    return { status: 404, body: html('Not found', '') };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      const raw = Buffer.concat(chunks).toString('utf8');
      const isApi = path.startsWith('/v1/');
      const answer = isApi ? Promise.resolve().then(() => handleApi(req, method, path, raw)) : handlePage(method, path);
      answer
        .catch((err: unknown) => ({
          status: 500,
          body: JSON.stringify({ error: { type: 'api_error', message: String(err) } }),
          headers: {},
        }))
        .then(({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': isApi ? 'application/json' : 'text/html; charset=utf-8', ...headers });
          res.end(body);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    state: api,
    deliveries,
    event,
    signedPayload,
    setWebhookUrl(next) {
      webhookUrl = next;
    },
    sendEvent: async (type, object, opts) => (await queue([event(type, object, opts)]))[0] as Delivery,
    failPayment(id) {
      const sub = api.subscription(id);
      const item = sub.items.data[0];
      if (!item) throw new Error(`subscription ${id} has no item`);
      const start = item.current_period_end;
      const invoice = api.makeInvoice(sub, start, start + api.periodSeconds(item.price));
      invoice.attempt_count = 1;
      const previous = { status: sub.status };
      sub.status = 'past_due';
      return queue([event('invoice.finalized', invoice), event('invoice.payment_failed', invoice), updated(sub, previous)]);
    },
    payInvoice(id) {
      const sub = api.subscription(id);
      const item = sub.items.data[0];
      if (!item) throw new Error(`subscription ${id} has no item`);
      const open = [...api.invoices.values()].find((i) => i.parent.subscription_details.subscription === id && i.status === 'open');
      const invoice = open ?? api.makeInvoice(sub, item.current_period_end, item.current_period_end + api.periodSeconds(item.price));
      api.markPaid(invoice);
      const previous = { status: sub.status, items: structuredClone(sub.items) };
      if (sub.status === 'trialing') sub.trial_end = nowSeconds();
      sub.status = 'active';
      const period = invoice.lines.data[0]?.period;
      if (period) Object.assign(item, { current_period_start: period.start, current_period_end: period.end });
      return queue([event('invoice.paid', invoice), updated(sub, previous)]);
    },
    cancelSubscription(id) {
      const sub = api.subscription(id);
      sub.status = 'canceled';
      return queue([event('customer.subscription.deleted', sub)]);
    },
    idle: () => outbox.then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
