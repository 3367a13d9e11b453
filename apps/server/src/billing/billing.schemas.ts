import { z } from 'zod';
import { ACCESS_STATES, BILLING_EVENT_STATUSES, BILLING_PROVIDERS, INVOICE_STATUSES, SUBSCRIPTION_STATUSES } from './billing.tables.js';
import { publicPlanSchema } from './plans.schemas.js';

const iso = z.iso.datetime();
const subscriptionStatus = z.enum(SUBSCRIPTION_STATUSES);
const accessState = z.enum(ACCESS_STATES);

/** Something the tenant should know about its billing, shown as a banner. */
export const billingNoticeSchema = z
  .object({
    kind: z.enum(['trial-ending', 'past-due', 'suspended', 'canceled', 'subscription-required', 'operator-suspended']),
    message: z.string(),
    /** When it turns into the next step (suspension, deletion, trial end), if it does. */
    deadline: iso.nullable(),
  })
  .meta({ id: 'BillingNotice' });

/** A tenant's subscription as its owner sees it. */
export const billingSchema = z
  .object({
    provider: z.enum(BILLING_PROVIDERS),
    plan: publicPlanSchema,
    price: z.object({ interval: z.enum(['month', 'year']), currency: z.string(), unitAmount: z.number().int() }).nullable(),
    status: subscriptionStatus,
    quantity: z.number().int(),
    trialEndsAt: iso.nullable(),
    currentPeriodEnd: iso.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    /** What the tenant may do now: full use, grace (past due), suspended, or deleted after retention. */
    access: accessState,
    /** The next invoice as far as the platform knows: price × quantity at the period's end. */
    nextInvoice: z.object({ amount: z.number().int(), currency: z.string(), at: iso.nullable() }).nullable(),
    /** The provider's portal can be opened (Stripe with a customer). */
    portalAvailable: z.boolean(),
    notices: z.array(billingNoticeSchema),
  })
  .meta({ id: 'Billing' });

export const invoiceSchema = z
  .object({
    id: z.uuid(),
    number: z.string().nullable(),
    status: z.enum(INVOICE_STATUSES),
    currency: z.string(),
    amountDue: z.number().int(),
    amountPaid: z.number().int(),
    /** The provider's hosted invoice page and PDF (Stripe). */
    hostedUrl: z.string().nullable(),
    pdfUrl: z.string().nullable(),
    periodStart: iso.nullable(),
    periodEnd: iso.nullable(),
    paymentFailedAt: iso.nullable(),
    paidAt: iso.nullable(),
    note: z.string().nullable(),
    createdAt: iso,
  })
  .meta({ id: 'Invoice' });

export const checkoutBody = z.object({ planCode: z.string().max(40), interval: z.enum(['month', 'year']).default('month') });
/** Where to send the browser: the provider's checkout page, or back to the billing page when nothing is to be paid. */
export const redirectSchema = z.object({ url: z.string() }).meta({ id: 'BillingRedirect' });

// --- admin ---

export const adminSubscriptionSchema = z
  .object({
    tenantId: z.uuid(),
    tenantName: z.string(),
    planCode: z.string(),
    provider: z.enum(BILLING_PROVIDERS),
    status: subscriptionStatus,
    access: accessState,
    quantity: z.number().int(),
    /** Recurring revenue it brings per month, minor units. */
    monthlyAmount: z.number().int(),
    currency: z.string(),
    statusSince: iso,
    currentPeriodEnd: iso.nullable(),
    customerId: z.string().nullable(),
  })
  .meta({ id: 'AdminSubscription' });

export const adminInvoiceSchema = invoiceSchema.extend({ tenantId: z.uuid(), tenantName: z.string() }).meta({ id: 'AdminInvoice' });

export const billingEventSchema = z
  .object({
    id: z.string(),
    provider: z.enum(BILLING_PROVIDERS),
    type: z.string(),
    status: z.enum(BILLING_EVENT_STATUSES),
    attempts: z.number().int(),
    error: z.string().nullable(),
    tenantId: z.uuid().nullable(),
    occurredAt: iso,
    receivedAt: iso,
    processedAt: iso.nullable(),
  })
  .meta({ id: 'BillingEvent' });

export const revenuePointSchema = z
  .object({
    day: z.iso.date(),
    /** Monthly and annual recurring revenue at the end of the day, minor units. */
    mrr: z.number().int(),
    arr: z.number().int(),
    /** Paying subscriptions (active or past due) at the end of the day. */
    subscriptions: z.number().int(),
    /** Subscriptions that ended (canceled, unpaid) that day. */
    churned: z.number().int(),
    /** Churned over the 30 days before, divided by the paying subscriptions 30 days before (0–1). */
    churnRate: z.number(),
  })
  .meta({ id: 'RevenuePoint' });

export const revenueSchema = z.object({ currency: z.string(), points: z.array(revenuePointSchema) }).meta({ id: 'Revenue' });

export const subscriptionsQuery = z.object({
  status: subscriptionStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const invoicesQuery = z.object({
  status: z.enum(INVOICE_STATUSES).optional(),
  /** Only invoices whose last payment attempt failed. */
  failed: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const eventsQuery = z.object({
  status: z.enum(BILLING_EVENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const revenueQuery = z.object({ days: z.coerce.number().int().min(7).max(730).default(90) });

/** Manual provider: the admin sets the subscription's state. */
export const manualStateBody = z.object({
  status: z.enum(['trialing', 'active', 'past_due', 'canceled', 'unpaid']),
  reason: z.string().trim().min(3).max(500),
});
/** Manual provider: a payment the admin received (bank transfer, cash…). */
export const manualPaymentBody = z.object({
  amount: z.number().int().min(1).max(100_000_000),
  reference: z.string().trim().min(1).max(200),
});

export type BillingDto = z.infer<typeof billingSchema>;
export type InvoiceDto = z.infer<typeof invoiceSchema>;
