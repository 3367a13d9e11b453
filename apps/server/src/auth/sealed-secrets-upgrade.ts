import { and, eq, isNotNull, notLike } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { instances } from '../instances/instances.tables.js';
import { users } from './auth.tables.js';
import { secretContext, upgradeSealed } from './secrets.js';

/** Every column holding a sealed value, with the context its value is bound to. */
const SEALED_COLUMNS = [
  { table: instances, field: 'dbPassword', context: secretContext.instanceDbPassword },
  { table: instances, field: 'masterPassword', context: secretContext.instanceMasterPassword },
  { table: instances, field: 'pendingAdminPassword', context: secretContext.instanceAdminPassword },
  { table: users, field: 'totpSecret', context: secretContext.totp },
] as const;

/**
 * A data migration run at start-up (after the schema migrations): re-seals values written before the
 * format bound a context, so no legacy ciphertext, which would open in any row, stays stored. It needs
 * ENCRYPTION_KEY, which SQL migrations do not have. A row is written only if it still holds the value
 * that was read, so a concurrent write (or a second process doing the same) is never overwritten.
 * A value that does not open under this key is left as it is (it fails where it is used, as before):
 * one bad row must not keep the platform from starting. Returns the counts of both.
 */
export async function upgradeSealedSecrets(db: Db, key: Buffer): Promise<{ upgraded: number; unreadable: number }> {
  let upgraded = 0;
  let unreadable = 0;
  for (const { table, field, context } of SEALED_COLUMNS) {
    // The union of the two tables' column types is too wide for drizzle's builders; each entry is one table.
    const t = table as typeof instances;
    const column = (table as unknown as Record<string, typeof instances.dbPassword>)[field] as typeof instances.dbPassword;
    const rows = await db
      .select({ id: t.id, value: column })
      .from(t)
      .where(and(isNotNull(column), notLike(column, 'v2:%')));
    for (const { id, value } of rows) {
      let sealed: string | null;
      try {
        sealed = upgradeSealed(key, value, context(id));
      } catch {
        unreadable++;
        continue;
      }
      if (!sealed) continue;
      const done = await db
        .update(t)
        .set({ [field]: sealed })
        .where(and(eq(t.id, id), eq(column, value)))
        .returning({ id: t.id });
      upgraded += done.length;
    }
  }
  return { upgraded, unreadable };
}
