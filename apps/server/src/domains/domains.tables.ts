import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instances } from '../instances/instances.tables.js';
import { tenants } from '../tenants/tenants.tables.js';

export const DOMAIN_STATUSES = ['pending_dns', 'verifying', 'issuing', 'active', 'failed'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/**
 * A tenant's claim on a host name for one of its instances. Routed by the edge once `active`: verified
 * (the domain reaches this platform) and, in TLS mode, certified. Several tenants may claim the same
 * name while it is unverified; the first verified claim wins and the others are superseded.
 */
export const customDomains = pgTable(
  'custom_domains',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    /** Lower-case DNS name: claimed once per tenant, verified for at most one claim platform-wide. */
    domain: text('domain').notNull(),
    status: text('status', { enum: DOMAIN_STATUSES }).notNull().default('pending_dns'),
    /** Served by the edge at /.well-known/odoo-saas/<token> while the domain is checked. */
    verificationToken: text('verification_token').notNull(),
    /** The real cause of the last failure (the HTTP check's or the CA's own words). */
    lastError: text('last_error'),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true }),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A verified claim (checking its certificate, active) holds the name alone; pending claims never block.
    uniqueIndex('custom_domains_verified_domain_key').on(t.domain).where(sql`${t.verifiedAt} IS NOT NULL AND ${t.status} <> 'failed'`),
    uniqueIndex('custom_domains_tenant_domain_key').on(t.tenantId, t.domain),
    index('custom_domains_domain_idx').on(t.domain),
    index('custom_domains_instance_idx').on(t.instanceId),
  ],
);
