import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { customDomains } from '../domains/domains.tables.js';

/**
 * Certificates the platform obtained through ACME and renews: the platform's own hosts (`platform`)
 * and verified custom domains (`custom_domain`). The files live in the edge directory under
 * `certs/<name>/`; this table is what the renewal job and the admins read.
 */
export const certificates = pgTable(
  'certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Directory name under `<edge dir>/certs/`: the (first) host name. */
    name: text('name').notNull().unique(),
    kind: text('kind', { enum: ['platform', 'custom_domain'] }).notNull(),
    domainId: uuid('domain_id').references(() => customDomains.id, { onDelete: 'set null' }),
    domains: jsonb('domains').$type<string[]>().notNull(),
    serial: text('serial').notNull(),
    issuer: text('issuer').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    status: text('status', { enum: ['valid', 'renewal_failed'] })
      .notNull()
      .default('valid'),
    /** The CA's own error of the last failed renewal. */
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('certificates_not_after_idx').on(t.notAfter)],
);
