import { and, eq, gt, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { emailTokens, recoveryCodes } from './auth.tables.js';

type Purpose = (typeof emailTokens.$inferInsert)['purpose'];

export class EmailTokensRepository {
  constructor(private readonly db: DbOrTx) {}

  async create(userId: string, purpose: Purpose, tokenHash: string, ttlMinutes: number) {
    await this.db.insert(emailTokens).values({ userId, purpose, tokenHash, expiresAt: new Date(Date.now() + ttlMinutes * 60_000) });
  }

  /** Uses a live token once; returns its user id, or null if unknown, used or expired. */
  async consume(purpose: Purpose, tokenHash: string): Promise<string | null> {
    const [row] = await this.db
      .update(emailTokens)
      .set({ usedAt: new Date() })
      .where(
        and(
          eq(emailTokens.tokenHash, tokenHash),
          eq(emailTokens.purpose, purpose),
          isNull(emailTokens.usedAt),
          gt(emailTokens.expiresAt, new Date()),
        ),
      )
      .returning({ userId: emailTokens.userId });
    return row?.userId ?? null;
  }
}

export class RecoveryCodesRepository {
  constructor(private readonly db: DbOrTx) {}

  async replace(userId: string, codeHashes: string[]) {
    await this.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    if (codeHashes.length) await this.db.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
  }

  async consume(userId: string, codeHash: string): Promise<boolean> {
    const rows = await this.db
      .update(recoveryCodes)
      .set({ usedAt: new Date() })
      .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id });
    return rows.length === 1;
  }
}
