import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import type { MailService } from './mail.service.js';

export const mailboxMessageSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  links: z.array(z.string()),
  createdAt: z.iso.datetime(),
});
export type MailboxMessage = z.infer<typeof mailboxMessageSchema>;

/**
 * Local mode only: the mail the platform "sent", newest first. Registered only with DEV_MAILBOX=true,
 * which config refuses unless PUBLIC_URL and ADMIN_URL are loopback: whoever reads it can reset any password.
 */
export const devMailboxRoutes: FastifyPluginAsyncZod<{ mail: MailService }> = async (app, { mail }) => {
  app.get(
    '/dev/mailbox',
    {
      schema: {
        tags: ['dev'],
        summary: 'Local mailbox (local mode only): messages sent to an address, newest first',
        querystring: z.object({ to: z.string().trim().min(3).max(254) }),
        response: { 200: z.array(mailboxMessageSchema) },
      },
      config: { access: access.public() },
    },
    async (request) => {
      const rows = await mail.mailbox(request.query.to);
      return rows.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() }));
    },
  );
};
