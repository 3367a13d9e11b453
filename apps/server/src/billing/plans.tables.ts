import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Grandfather-father-son backup retention: how many daily, weekly and monthly backups are kept. */
export interface BackupRetention {
  daily: number;
  weekly: number;
  monthly: number;
}

/**
 * What a tenant may use and what it costs. Limits apply to every instance of a tenant on the plan;
 * prices live in `plan_prices` (one active price per interval; editing a price makes a new one).
 */
export const plans = pgTable('plans', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  /** Shown on the pricing page. */
  description: text('description').notNull().default(''),
  /** Hidden plans are not offered at sign-up or on the pricing page; admins can still assign them. */
  visibility: text('visibility', { enum: ['public', 'hidden'] })
    .notNull()
    .default('public'),
  /** Order on the pricing page, lowest first. */
  sortOrder: integer('sort_order').notNull().default(0),
  trialDays: integer('trial_days').notNull().default(0),
  /** Per-user pricing: the tenant's active internal Odoo users, counted daily, are the subscription's quantity. */
  perUser: boolean('per_user').notNull().default(false),
  maxInstances: integer('max_instances').notNull(),
  memoryMb: integer('memory_mb').notNull(),
  cpuMillis: integer('cpu_millis').notNull(),
  pids: integer('pids').notNull(),
  storageGb: integer('storage_gb').notNull(),
  workers: integer('workers').notNull(),
  customDomains: boolean('custom_domains').notNull().default(true),
  /** Odoo versions the plan may run; null means every version the platform offers. */
  odooVersions: jsonb('odoo_versions').$type<string[] | null>(),
  backupRetention: jsonb('backup_retention').$type<BackupRetention>().notNull().default({ daily: 7, weekly: 4, monthly: 3 }),
  manualBackupsPerDay: integer('manual_backups_per_day').notNull().default(3),
  /** The billing provider's product this plan is synced to (Stripe), and how the last sync went. */
  providerProductId: text('provider_product_id'),
  syncedAt: timestamp('synced_at', { withTimezone: true }),
  syncError: text('sync_error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A plan's price for one billing interval, in minor units of the platform currency. Prices are never
 * edited: a new amount is a new row (and a new provider price); the old one stays for its subscribers.
 */
export const planPrices = pgTable(
  'plan_prices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    planCode: text('plan_code')
      .notNull()
      .references(() => plans.code, { onDelete: 'cascade' }),
    interval: text('interval', { enum: ['month', 'year'] }).notNull(),
    currency: text('currency').notNull(),
    unitAmount: integer('unit_amount').notNull(),
    /** The current price of its plan and interval; older ones keep serving their existing subscribers. */
    active: boolean('active').notNull().default(true),
    providerPriceId: text('provider_price_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('plan_prices_active_key').on(t.planCode, t.interval).where(sql`${t.active}`),
    uniqueIndex('plan_prices_provider_key').on(t.providerPriceId),
    index('plan_prices_plan_idx').on(t.planCode),
  ],
);
