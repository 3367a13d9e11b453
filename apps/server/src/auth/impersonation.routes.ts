import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { access } from '../http/access.js';
import { clientInfo } from '../http/route-helpers.js';
import { setRefreshCookie } from './auth.routes.js';
import { accessTokenSchema, tokenSchema } from './auth.schemas.js';
import type { ImpersonationService } from './impersonation.service.js';

/** The tenant app's half of support impersonation: the handoff from the admin dashboard (docs/admin.md). */
export const impersonationRoutes: FastifyPluginAsyncZod<{ impersonation: ImpersonationService; config: Config }> = async (
  app,
  { impersonation, config },
) => {
  app.post(
    '/auth/impersonation/exchange',
    {
      schema: {
        tags: ['auth'],
        summary: 'Trade a single-use impersonation code for a session (sets the refresh cookie of this origin)',
        description:
          'The code comes from `POST /admin/users/{userId}/impersonate` in the link the operator opens. It works once, ' +
          'for two minutes; afterwards 401 `invalid_handoff`. The session ends at the time the operator chose and cannot be renewed past it.',
        body: z.object({ code: tokenSchema }),
        response: { 200: accessTokenSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.impersonation_exchange', targetType: 'session' } },
    },
    async (request, reply) => {
      const session = await impersonation.exchange(request.body.code, clientInfo(request));
      setRefreshCookie(reply, config, session);
      Object.assign(request.auditNote, {
        actorId: session.userId,
        targetId: session.sessionId,
        details: { impersonatorId: session.impersonatorId },
      });
      return { accessToken: session.accessToken, expiresIn: session.expiresIn };
    },
  );
};
