import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * Alerts as Alertmanager last reported them (its webhook, docs/monitoring.md): one row per alert
 * occurrence (Alertmanager's fingerprint plus its start), firing until a notification says resolved.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fingerprint: text('fingerprint').notNull(),
    name: text('name').notNull(),
    severity: text('severity').notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull(),
    summary: text('summary').notNull(),
    description: text('description').notNull().default(''),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    /** When the operators were last mailed about it (firing, then resolved). */
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('alerts_occurrence_key').on(t.fingerprint, t.startsAt), index('alerts_status_idx').on(t.status, t.startsAt)],
);
