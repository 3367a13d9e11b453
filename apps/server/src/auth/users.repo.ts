import { and, count, desc, eq, ilike, isNull, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import type { PlatformRole } from './auth.schemas.js';
import { users } from './auth.tables.js';

export type UserRow = typeof users.$inferSelect;

export class UsersRepository {
  constructor(private readonly db: DbOrTx) {}

  findById(id: string) {
    return this.db.query.users.findFirst({ where: eq(users.id, id) });
  }

  findByEmail(email: string) {
    return this.db.query.users.findFirst({ where: eq(sql`lower(${users.email})`, email.toLowerCase()) });
  }

  /** Returns null when the address is taken (the unique index decides, so two racing sign-ups cannot both win). */
  async create(values: { email: string; name: string; passwordHash: string; platformRole?: PlatformRole; emailVerifiedAt?: Date }) {
    const [row] = await this.db.insert(users).values(values).onConflictDoNothing().returning();
    return row ?? null;
  }

  async update(id: string, values: Partial<Omit<typeof users.$inferInsert, 'id'>>) {
    const [row] = await this.db
      .update(users)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return row ?? null;
  }

  countPlatformAdmins() {
    return this.db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.platformRole, 'admin'), isNull(users.disabledAt)))
      .then((rows) => rows[0]?.n ?? 0);
  }

  async list(query: { q?: string; limit: number; offset: number }) {
    const where = query.q ? or(ilike(users.email, `%${escapeLike(query.q)}%`), ilike(users.name, `%${escapeLike(query.q)}%`)) : undefined;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(users).where(where).orderBy(desc(users.createdAt)).limit(query.limit).offset(query.offset),
      this.db.select({ n: count() }).from(users).where(where),
    ]);
    return { rows, total: total?.n ?? 0 };
  }
}

export const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
