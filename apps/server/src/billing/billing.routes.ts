import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, requireAuth } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import {
  billingEventSchema,
  billingSchema,
  checkoutBody,
  eventsQuery,
  invoiceSchema,
  manualPaymentBody,
  manualStateBody,
  redirectSchema,
} from './billing.schemas.js';
import type { BillingService } from './billing.service.js';
import type { BillingEvents } from './billing-events.js';

const tenantParams = z.object({ tenantId: z.uuid() });

/** A tenant's subscription (its members), the webhook intake (Stripe), the event log and the manual provider (staff). */
export const billingRoutes: FastifyPluginAsyncZod<{ billing: BillingService; events: BillingEvents }> = async (
  app,
  { billing, events },
) => {
  const anyMember = access.tenant('owner', 'admin', 'member');
  const managers = access.tenant('owner', 'admin');
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/tenants/:tenantId/billing',
    {
      schema: {
        tags: ['billing'],
        summary: 'The tenant’s plan, subscription state and notices',
        params: tenantParams,
        response: { 200: billingSchema },
      },
      config: { access: anyMember },
    },
    async (request) => billing.get(request.params.tenantId),
  );

  app.get(
    '/tenants/:tenantId/billing/invoices',
    {
      schema: {
        tags: ['billing'],
        summary: 'The tenant’s invoices, newest first',
        params: tenantParams,
        response: { 200: z.array(invoiceSchema) },
      },
      config: { access: managers },
    },
    async (request) => billing.invoices(request.params.tenantId),
  );

  app.post(
    '/tenants/:tenantId/billing/checkout',
    {
      schema: {
        tags: ['billing'],
        summary: 'Subscribe to a plan: the provider’s checkout page, or the billing page when nothing is to be paid',
        params: tenantParams,
        body: checkoutBody,
        response: { 200: redirectSchema },
      },
      config: { access: managers, audit: { action: 'billing.checkout', targetType: 'tenant' } },
    },
    async (request) => {
      request.auditNote.targetId = request.params.tenantId;
      return billing.checkout(request.params.tenantId, requireAuth(request), request.body);
    },
  );

  app.post(
    '/tenants/:tenantId/billing/portal',
    {
      schema: {
        tags: ['billing'],
        summary: 'The provider’s self-service portal (payment methods, invoices, cancellation)',
        params: tenantParams,
        response: { 200: redirectSchema },
      },
      // Opening the portal changes nothing here; what the customer does there arrives as webhooks.
      config: { access: managers, audit: false },
    },
    async (request) => billing.portal(request.params.tenantId),
  );

  // Stripe signs the exact bytes it sent: this route alone keeps the body raw (an encapsulated scope, so
  // every other route still parses JSON). The app's body limit applies.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    raw.post(
      '/billing/stripe/webhook',
      {
        schema: {
          tags: ['billing'],
          summary: 'Stripe webhook intake: verified on the raw body, stored once by event id, processed by the worker',
          response: { 200: z.object({ received: z.boolean() }) },
        },
        // Each event's effect is audited when it is applied (billing.* actions), not each delivery.
        config: { access: access.public(), audit: false },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = request.headers['stripe-signature'];
        await events.receive(body, typeof signature === 'string' ? signature : undefined);
        return { received: true };
      },
    );
  });

  app.get(
    '/admin/billing/events',
    {
      schema: {
        tags: ['admin'],
        summary: 'Billing provider events received, newest first',
        querystring: eventsQuery,
        response: { 200: page(billingEventSchema) },
      },
      config: { access: staff },
    },
    async (request) => events.list(request.query),
  );

  app.post(
    '/admin/billing/events/:id/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Process a failed billing event again',
        params: z.object({ id: z.string().min(1).max(255) }),
        response: { 202: z.object({ queued: z.boolean() }) },
      },
      config: { access: admins, audit: { action: 'admin.billing_event_retry', targetType: 'billing_event' } },
    },
    async (request, reply) => {
      request.auditNote.targetId = request.params.id;
      await events.retry(request.params.id);
      return reply.status(202).send({ queued: true });
    },
  );

  app.put(
    '/admin/tenants/:tenantId/subscription',
    {
      schema: {
        tags: ['admin'],
        summary: 'Manual provider: set the subscription state of a tenant',
        params: tenantParams,
        body: manualStateBody,
        response: { 200: billingSchema },
      },
      config: { access: admins, audit: { action: 'admin.set_subscription', targetType: 'tenant' } },
    },
    async (request) => {
      Object.assign(request.auditNote, { tenantId: request.params.tenantId, targetId: request.params.tenantId });
      return billing.setManualState(request.params.tenantId, requireAuth(request), request.body);
    },
  );

  app.post(
    '/admin/tenants/:tenantId/payments',
    {
      schema: {
        tags: ['admin'],
        summary: 'Manual provider: record a payment received; an unpaid subscription becomes active',
        params: tenantParams,
        body: manualPaymentBody,
        response: { 201: invoiceSchema },
      },
      config: { access: admins, audit: { action: 'admin.record_payment', targetType: 'tenant' } },
    },
    async (request, reply) => {
      Object.assign(request.auditNote, { tenantId: request.params.tenantId, targetId: request.params.tenantId });
      return reply.status(201).send(await billing.recordPayment(request.params.tenantId, requireAuth(request), request.body));
    },
  );
};
