import { sql } from 'drizzle-orm';
import type { DbOrTx } from './client.js';

/** Serializes transactions that share `key` until the current one ends (a transaction-scoped advisory lock). */
export async function lockForTransaction(tx: DbOrTx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
}
