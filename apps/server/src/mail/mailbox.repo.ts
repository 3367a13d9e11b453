import { desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { devMailbox } from './mail.tables.js';
import type { Mailer, MailMessage } from './mailer.js';

/** The local-mode mailbox: delivery writes here, the operator and tests read it. */
export class MailboxRepository implements Mailer {
  constructor(private readonly db: DbOrTx) {}

  async send(message: MailMessage): Promise<void> {
    await this.db.insert(devMailbox).values(message);
  }

  listFor(to: string, limit = 50) {
    return this.db
      .select({
        to: devMailbox.to,
        subject: devMailbox.subject,
        text: devMailbox.text,
        links: devMailbox.links,
        createdAt: devMailbox.createdAt,
      })
      .from(devMailbox)
      .where(eq(sql`lower(${devMailbox.to})`, to.toLowerCase()))
      .orderBy(desc(devMailbox.createdAt))
      .limit(limit);
  }
}
