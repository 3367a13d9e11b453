import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { InvoiceDto } from './billing.schemas.js';
import { invoices } from './billing.tables.js';

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceValues = Omit<typeof invoices.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;

export class InvoicesRepository {
  constructor(private readonly db: DbOrTx) {}

  forTenant(tenantId: string, limit = 100): Promise<InvoiceRow[]> {
    return this.db.select().from(invoices).where(eq(invoices.tenantId, tenantId)).orderBy(desc(invoices.createdAt)).limit(limit);
  }

  findByProviderId(providerInvoiceId: string): Promise<InvoiceRow | null> {
    return this.db
      .select()
      .from(invoices)
      .where(eq(invoices.providerInvoiceId, providerInvoiceId))
      .then((r) => r[0] ?? null);
  }

  /** Inserts the invoice or updates the one with its provider id (events about one invoice arrive several times). */
  async upsert(values: InvoiceValues): Promise<InvoiceRow> {
    const { tenantId: _tenant, provider: _provider, providerInvoiceId: _id, ...changes } = values;
    const [row] = await this.db
      .insert(invoices)
      .values(values)
      .onConflictDoUpdate({ target: invoices.providerInvoiceId, set: { ...changes, updatedAt: new Date() } })
      .returning();
    if (!row) throw new Error('invoice upsert returned nothing');
    return row;
  }

  async update(id: string, values: Partial<InvoiceValues>): Promise<InvoiceRow> {
    const [row] = await this.db
      .update(invoices)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(invoices.id, id))
      .returning();
    if (!row) throw new Error(`invoice ${id} not found`);
    return row;
  }
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const toInvoiceDto = (row: InvoiceRow): InvoiceDto => ({
  id: row.id,
  number: row.number,
  status: row.status,
  currency: row.currency,
  amountDue: row.amountDue,
  amountPaid: row.amountPaid,
  hostedUrl: row.hostedUrl,
  pdfUrl: row.pdfUrl,
  periodStart: iso(row.periodStart),
  periodEnd: iso(row.periodEnd),
  paymentFailedAt: iso(row.paymentFailedAt),
  paidAt: iso(row.paidAt),
  note: row.note,
  createdAt: row.createdAt.toISOString(),
});
