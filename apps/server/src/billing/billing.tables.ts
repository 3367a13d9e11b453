import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.tables.js';
import { planPrices } from './plans.tables.js';

/** Subscription states, as Stripe names them; `none` is a tenant that never subscribed. */
export const SUBSCRIPTION_STATUSES = [
  'none',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** What the entitlement engine last applied to a tenant (entitlements.ts decides, the enforcement job applies). */
export const ACCESS_STATES = ['full', 'grace', 'suspended', 'deleted'] as const;
export type AccessState = (typeof ACCESS_STATES)[number];

export const BILLING_PROVIDERS = ['stripe', 'manual'] as const;
export type BillingProviderKind = (typeof BILLING_PROVIDERS)[number];

/**
 * A tenant's subscription, one per tenant. The plan itself is `tenants.plan_code` (what limits read);
 * this row says how it is paid for and in which state, which decides what the tenant may do.
 */
export const billingAccounts = pgTable(
  'billing_accounts',
  {
    tenantId: uuid('tenant_id')
      .primaryKey()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: BILLING_PROVIDERS }).notNull(),
    customerId: text('customer_id'),
    subscriptionId: text('subscription_id'),
    priceId: uuid('price_id').references(() => planPrices.id),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull(),
    quantity: integer('quantity').notNull().default(1),
    trialEndsAt: timestamp('trial_ends_at', { withTimezone: true }),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    /** When `status` last changed: the grace and retention periods count from here. */
    statusSince: timestamp('status_since', { withTimezone: true }).notNull().defaultNow(),
    /** The provider's time of the newest change applied: an older event never rolls the state back. */
    providerUpdatedAt: timestamp('provider_updated_at', { withTimezone: true }),
    access: text('access', { enum: ACCESS_STATES }).notNull().default('full'),
    /** An operator's suspension (admin dashboard), whatever the subscription says; lifted by resuming. */
    operatorSuspendedAt: timestamp('operator_suspended_at', { withTimezone: true }),
    operatorSuspendReason: text('operator_suspend_reason'),
    accessChangedAt: timestamp('access_changed_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('billing_accounts_customer_key').on(t.customerId),
    uniqueIndex('billing_accounts_subscription_key').on(t.subscriptionId),
    index('billing_accounts_status_idx').on(t.status),
  ],
);

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

/** Invoices as the provider issued them (Stripe's hosted pages), or as an admin recorded them (manual). */
export const invoices = pgTable(
  'invoices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: BILLING_PROVIDERS }).notNull(),
    providerInvoiceId: text('provider_invoice_id'),
    number: text('number'),
    status: text('status', { enum: INVOICE_STATUSES }).notNull(),
    currency: text('currency').notNull(),
    amountDue: integer('amount_due').notNull(),
    amountPaid: integer('amount_paid').notNull().default(0),
    hostedUrl: text('hosted_url'),
    pdfUrl: text('pdf_url'),
    periodStart: timestamp('period_start', { withTimezone: true }),
    periodEnd: timestamp('period_end', { withTimezone: true }),
    /** The last payment attempt failed (cleared once paid). */
    paymentFailedAt: timestamp('payment_failed_at', { withTimezone: true }),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    /** Who recorded it and why (manual provider). */
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('invoices_provider_key').on(t.providerInvoiceId), index('invoices_tenant_idx').on(t.tenantId, t.createdAt)],
);

export const BILLING_EVENT_STATUSES = ['received', 'processed', 'ignored', 'failed'] as const;

/** Every webhook event received, by the provider's id: stored once, processed once, retried on failure. */
export const billingEvents = pgTable(
  'billing_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider', { enum: BILLING_PROVIDERS }).notNull(),
    type: text('type').notNull(),
    /** The provider's time of the event (ordering), not our receipt time. */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: BILLING_EVENT_STATUSES }).notNull().default('received'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    tenantId: uuid('tenant_id'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [index('billing_events_status_idx').on(t.status, t.receivedAt), index('billing_events_received_idx').on(t.receivedAt)],
);

/**
 * Each change of a tenant's subscription (state, plan, amount), append-only: MRR/ARR and churn over
 * time are computed from it. `monthlyAmount` is the recurring revenue it brings (yearly / 12, × quantity).
 */
export const subscriptionChanges = pgTable(
  'subscription_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull(),
    planCode: text('plan_code').notNull(),
    monthlyAmount: integer('monthly_amount').notNull(),
    currency: text('currency').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('subscription_changes_at_idx').on(t.at), index('subscription_changes_tenant_idx').on(t.tenantId, t.at)],
);

/** Per-user pricing: active internal Odoo users of a tenant, counted once a day. */
export const usageCounts = pgTable(
  'usage_counts',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    day: date('day').notNull(),
    activeUsers: integer('active_users').notNull(),
    /** What was sent to the provider as the subscription's quantity (null: not reported yet). */
    reportedQuantity: integer('reported_quantity'),
    details: jsonb('details').$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
    countedAt: timestamp('counted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day] })],
);
