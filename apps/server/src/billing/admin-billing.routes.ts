import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { access } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import {
  adminInvoiceSchema,
  adminSubscriptionSchema,
  invoicesQuery,
  revenueQuery,
  revenueSchema,
  subscriptionsQuery,
} from './billing.schemas.js';
import type { BillingReports } from './revenue.js';

/** The admin's billing reports: subscriptions by state, failed payments, revenue over time. */
export const adminBillingRoutes: FastifyPluginAsyncZod<{ reports: BillingReports }> = async (app, { reports }) => {
  const staff = access.platform('admin', 'support');

  app.get(
    '/admin/billing/subscriptions',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every tenant’s subscription, newest status change first',
        querystring: subscriptionsQuery,
        response: { 200: page(adminSubscriptionSchema) },
      },
      config: { access: staff },
    },
    async (request) => reports.subscriptions(request.query),
  );

  app.get(
    '/admin/billing/invoices',
    {
      schema: {
        tags: ['admin'],
        summary: 'Invoices of every tenant, newest first; `failed=true` lists unpaid ones whose payment failed',
        querystring: invoicesQuery,
        response: { 200: page(adminInvoiceSchema) },
      },
      config: { access: staff },
    },
    async (request) => reports.invoices(request.query),
  );

  app.get(
    '/admin/billing/revenue',
    {
      schema: {
        tags: ['admin'],
        summary: 'MRR, ARR, paying subscriptions and churn per UTC day over the last `days` days',
        querystring: revenueQuery,
        response: { 200: revenueSchema },
      },
      config: { access: staff },
    },
    async (request) => reports.revenue(request.query.days),
  );
};
