import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { access } from '../http/access.js';
import { MailboxRepository } from './mailbox.repo.js';

/** Local mode only: the mail the platform "sent", newest first. Not registered in production. */
export const devMailboxRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/dev/mailbox',
    {
      schema: {
        tags: ['dev'],
        summary: 'Local mailbox (local mode only): messages sent to an address, newest first',
        querystring: z.object({ to: z.string().trim().min(3).max(254) }),
        response: {
          200: z.array(
            z.object({ to: z.string(), subject: z.string(), text: z.string(), links: z.array(z.string()), createdAt: z.iso.datetime() }),
          ),
        },
      },
      config: { access: access.public() },
    },
    async (request) => {
      const rows = await new MailboxRepository(db).listFor(request.query.to);
      return rows.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() }));
    },
  );
};
