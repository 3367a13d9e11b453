import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** What a tenant may use. Billing will attach prices; until then admins assign plans by hand. */
export const plans = pgTable('plans', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  maxInstances: integer('max_instances').notNull(),
  memoryMb: integer('memory_mb').notNull(),
  cpuMillis: integer('cpu_millis').notNull(),
  pids: integer('pids').notNull(),
  storageGb: integer('storage_gb').notNull(),
  workers: integer('workers').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
