import { randomBytes } from 'node:crypto';
import type {
  FakeCustomer,
  FakeInvoice,
  FakePortalSession,
  FakePrice,
  FakeProduct,
  FakeSession,
  FakeSubscription,
  Metadata,
} from './stripe-fake-objects.js';
import { type Form, formNumber, formString } from './stripe-form.js';

/** An error answer as Stripe gives it: `{ error: { type, code, message, param } }` with an HTTP status. */
export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; code?: string; message: string; param?: string },
  ) {
    super(body.message);
  }
}
const missing = (kind: string, id: string, param?: string) =>
  new StripeHttpError(param ? 400 : 404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });
const required = (param: string) =>
  new StripeHttpError(400, {
    type: 'invalid_request_error',
    code: 'parameter_missing',
    message: `Missing required param: ${param}.`,
    param,
  });
const invalid = (param: string, message: string) => new StripeHttpError(400, { type: 'invalid_request_error', message, param });

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const DAY = 86_400;

function need(form: Form, path: string): string {
  const value = formString(form, path);
  if (value === null || value === '') throw required(path);
  return value;
}

function metadataOf(form: Form | undefined): Metadata {
  const value = form?.metadata;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Metadata) : {};
}

/** What the fake's API would tell the webhook endpoint about, after answering (Stripe sends these on its own). */
export type Emit = (type: string, object: object, previous?: object) => void;

/** The fake's objects and the API endpoints the provider calls (POST bodies decoded by parseForm). */
export class FakeStripeApi {
  readonly products = new Map<string, FakeProduct>();
  readonly prices = new Map<string, FakePrice>();
  readonly customers = new Map<string, FakeCustomer>();
  readonly sessions = new Map<string, FakeSession>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly invoices = new Map<string, FakeInvoice>();
  readonly portalSessions = new Map<string, FakePortalSession>();
  private invoiceCount = 0;

  private readonly routes: [string, RegExp, (form: Form, id: string) => object][] = [
    ['POST', /^\/v1\/products$/, (f) => this.createProduct(f)],
    ['POST', /^\/v1\/products\/([^/]+)$/, (f, id) => this.updateProduct(id, f)],
    ['POST', /^\/v1\/prices$/, (f) => this.createPrice(f)],
    ['POST', /^\/v1\/prices\/([^/]+)$/, (f, id) => this.updatePrice(id, f)],
    ['POST', /^\/v1\/customers$/, (f) => this.createCustomer(f)],
    ['GET', /^\/v1\/customers\/([^/]+)$/, (_, id) => this.customers.get(id) ?? this.fail(missing('customer', id))],
    ['POST', /^\/v1\/checkout\/sessions$/, (f) => this.createSession(f)],
    ['GET', /^\/v1\/checkout\/sessions\/([^/]+)$/, (_, id) => this.sessions.get(id) ?? this.fail(missing('checkout.session', id))],
    ['POST', /^\/v1\/billing_portal\/sessions$/, (f) => this.createPortal(f)],
    ['GET', /^\/v1\/subscriptions\/([^/]+)$/, (_, id) => this.subscription(id)],
    ['POST', /^\/v1\/subscriptions\/([^/]+)$/, (f, id) => this.updateSubscription(id, f)],
    ['DELETE', /^\/v1\/subscriptions\/([^/]+)$/, (_, id) => this.cancelSubscription(id)],
  ];

  constructor(
    private readonly baseUrl: () => string,
    private readonly emit: Emit,
  ) {}

  /** Answers one API request; throws StripeHttpError for what Stripe would refuse. */
  handle(method: string, path: string, form: Form): object {
    for (const [m, pattern, run] of this.routes) {
      const match = method === m ? path.match(pattern) : null;
      if (match) return run(form, match[1] ?? '');
    }
    throw new StripeHttpError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
  }

  private fail(error: StripeHttpError): never {
    throw error;
  }

  subscription(id: string): FakeSubscription {
    return this.subscriptions.get(id) ?? this.fail(missing('subscription', id));
  }

  private createProduct(form: Form): FakeProduct {
    const p: FakeProduct = {
      id: newId('prod'),
      object: 'product',
      active: true,
      name: need(form, 'name'),
      description: formString(form, 'description'),
      metadata: metadataOf(form),
      created: nowSeconds(),
    };
    if (p.description === '')
      throw invalid(
        'description',
        "You passed an empty string for 'description'. We assume empty values are an attempt to unset a parameter; however 'description' cannot be unset.",
      );
    this.products.set(p.id, p);
    return p;
  }

  private updateProduct(id: string, form: Form): FakeProduct {
    const p = this.products.get(id) ?? this.fail(missing('product', id));
    if (form.name !== undefined) p.name = need(form, 'name');
    if (form.description !== undefined) p.description = formString(form, 'description') || null;
    if (form.metadata !== undefined) p.metadata = { ...p.metadata, ...metadataOf(form) };
    if (form.active !== undefined) p.active = form.active === 'true';
    return p;
  }

  private createPrice(form: Form): FakePrice {
    const product = need(form, 'product');
    if (!this.products.has(product)) throw missing('product', product, 'product');
    const unitAmount = formNumber(form, 'unit_amount') ?? this.fail(required('unit_amount'));
    const p: FakePrice = {
      id: newId('price'),
      object: 'price',
      active: true,
      product,
      currency: need(form, 'currency'),
      unit_amount: unitAmount,
      type: 'recurring',
      recurring: { interval: need(form, 'recurring.interval'), interval_count: 1 },
      metadata: metadataOf(form),
      created: nowSeconds(),
    };
    this.prices.set(p.id, p);
    return p;
  }

  private updatePrice(id: string, form: Form): FakePrice {
    const p = this.prices.get(id) ?? this.fail(missing('price', id));
    if (form.active !== undefined) p.active = form.active === 'true';
    if (form.metadata !== undefined) p.metadata = { ...p.metadata, ...metadataOf(form) };
    return p;
  }

  private createCustomer(form: Form): FakeCustomer {
    const c: FakeCustomer = {
      id: newId('cus'),
      object: 'customer',
      email: formString(form, 'email'),
      name: formString(form, 'name'),
      metadata: metadataOf(form),
      created: nowSeconds(),
    };
    this.customers.set(c.id, c);
    return c;
  }

  private createSession(form: Form): FakeSession {
    if (need(form, 'mode') !== 'subscription') throw invalid('mode', 'The fake knows subscription mode only.');
    const customer = need(form, 'customer');
    if (!this.customers.has(customer)) throw missing('customer', customer, 'customer');
    const lines = Array.isArray(form.line_items) ? (form.line_items as Form[]) : [];
    if (lines.length === 0) throw required('line_items');
    const lineItems = lines.map((line, i) => {
      const price = need(line, 'price');
      const known = this.prices.get(price) ?? this.fail(missing('price', price, `line_items[${i}][price]`));
      if (!known.active) throw invalid(`line_items[${i}][price]`, `The price specified is inactive: ${price}.`);
      return { price, quantity: formNumber(line, 'quantity') ?? 1 };
    });
    const data = form.subscription_data as Form | undefined;
    const id = newId('cs_test');
    const session: FakeSession = {
      id,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      customer,
      client_reference_id: formString(form, 'client_reference_id'),
      metadata: metadataOf(form),
      subscription: null,
      url: `${this.baseUrl()}/checkout/${id}`,
      success_url: need(form, 'success_url'),
      cancel_url: formString(form, 'cancel_url'),
      automatic_tax: { enabled: formString(form, 'automatic_tax.enabled') === 'true' },
      customer_update: (form.customer_update as Form | undefined) ?? null,
      created: nowSeconds(),
      line_items: lineItems,
      subscription_data: { metadata: metadataOf(data), trial_period_days: data ? formNumber(data, 'trial_period_days') : null },
    };
    this.sessions.set(id, session);
    return session;
  }

  private createPortal(form: Form): FakePortalSession {
    const customer = need(form, 'customer');
    if (!this.customers.has(customer)) throw missing('customer', customer, 'customer');
    const id = newId('bps');
    const portal: FakePortalSession = {
      id,
      object: 'billing_portal.session',
      customer,
      return_url: need(form, 'return_url'),
      url: `${this.baseUrl()}/portal/${id}`,
    };
    this.portalSessions.set(id, portal);
    return portal;
  }

  private updateSubscription(id: string, form: Form): FakeSubscription {
    const sub = this.subscription(id);
    const previous = { items: structuredClone(sub.items), cancel_at_period_end: sub.cancel_at_period_end };
    const items = Array.isArray(form.items) ? (form.items as Form[]) : [];
    for (const [i, change] of items.entries()) {
      const itemId = formString(change, 'id') ?? '';
      const item = sub.items.data.find((it) => it.id === itemId) ?? this.fail(missing('subscription item', itemId, `items[${i}][id]`));
      item.quantity = formNumber(change, 'quantity') ?? item.quantity;
    }
    if (form.cancel_at_period_end !== undefined) sub.cancel_at_period_end = form.cancel_at_period_end === 'true';
    this.emit('customer.subscription.updated', sub, previous);
    return sub;
  }

  /** Stripe's immediate cancellation: the subscription ends now and `customer.subscription.deleted` follows. */
  private cancelSubscription(id: string): FakeSubscription {
    const sub = this.subscription(id);
    if (sub.status === 'canceled') throw invalid('subscription', `This subscription is already canceled: ${id}`);
    sub.status = 'canceled';
    this.emit('customer.subscription.deleted', sub);
    return sub;
  }

  periodSeconds(price: FakePrice): number {
    return (price.recurring.interval === 'year' ? 365 : 30) * DAY;
  }

  /** An open invoice of the subscription's item for [start, end). */
  makeInvoice(sub: FakeSubscription, start: number, end: number, amount?: number): FakeInvoice {
    const item = sub.items.data[0] ?? this.fail(invalid('items', `subscription ${sub.id} has no item`));
    const id = newId('in');
    const due = amount ?? item.price.unit_amount * item.quantity;
    const currency = item.price.currency;
    const invoice: FakeInvoice = {
      id,
      object: 'invoice',
      number: `FAKE-${String(++this.invoiceCount).padStart(4, '0')}`,
      status: 'open',
      customer: sub.customer,
      currency,
      amount_due: due,
      amount_paid: 0,
      amount_remaining: due,
      attempt_count: 0,
      hosted_invoice_url: `${this.baseUrl()}/invoices/${id}`,
      invoice_pdf: `${this.baseUrl()}/invoices/${id}/pdf`,
      period_start: start,
      period_end: start,
      created: nowSeconds(),
      metadata: {},
      lines: {
        object: 'list',
        data: [{ id: newId('il'), object: 'line_item', amount: due, currency, quantity: item.quantity, period: { start, end } }],
      },
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
      status_transitions: { finalized_at: nowSeconds(), paid_at: null },
    };
    this.invoices.set(id, invoice);
    sub.latest_invoice = id;
    return invoice;
  }

  markPaid(invoice: FakeInvoice): void {
    Object.assign(invoice, {
      status: 'paid',
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      attempt_count: invoice.attempt_count + 1,
    });
    invoice.status_transitions.paid_at = nowSeconds();
  }

  /** What paying on the hosted checkout page makes: the subscription (trialing with trial days) and its first invoice. */
  completeCheckout(session: FakeSession): { subscription: FakeSubscription; invoice: FakeInvoice } {
    const line = session.line_items[0] ?? this.fail(required('line_items'));
    const price = this.prices.get(line.price) ?? this.fail(missing('price', line.price));
    const start = nowSeconds();
    const trialDays = session.subscription_data.trial_period_days ?? 0;
    const end = start + (trialDays > 0 ? trialDays * DAY : this.periodSeconds(price));
    const id = newId('sub');
    const subscription: FakeSubscription = {
      id,
      object: 'subscription',
      customer: session.customer,
      status: trialDays > 0 ? 'trialing' : 'active',
      metadata: session.subscription_data.metadata,
      items: {
        object: 'list',
        data: [
          {
            id: newId('si'),
            object: 'subscription_item',
            subscription: id,
            price,
            quantity: line.quantity,
            current_period_start: start,
            current_period_end: end,
          },
        ],
      },
      trial_start: trialDays > 0 ? start : null,
      trial_end: trialDays > 0 ? end : null,
      cancel_at_period_end: false,
      latest_invoice: null,
      created: start,
      start_date: start,
    };
    this.subscriptions.set(id, subscription);
    // A trial starts with a zero invoice, as Stripe makes one; otherwise the first period is charged.
    const invoice = this.makeInvoice(subscription, start, end, trialDays > 0 ? 0 : undefined);
    Object.assign(session, { status: 'complete', subscription: id, payment_status: trialDays > 0 ? 'no_payment_required' : 'paid' });
    return { subscription, invoice };
  }
}
