import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { access, requireAuth } from '../http/access.js';
import { clientInfo, page } from '../http/route-helpers.js';
import {
  actionResultSchema,
  adminUserDetailSchema,
  adminUserSchema,
  adminUsersQuery,
  impersonateBody,
  impersonationStartedSchema,
  reasonBody,
  toAdminUser,
  updateUserBody,
  userParams,
} from './admin-users.schemas.js';
import type { AdminUsersService } from './admin-users.service.js';

/** Operators' user screens (docs/admin.md): staff read, platform admins act (impersonation included). */
export const adminUsersRoutes: FastifyPluginAsyncZod<{ users: AdminUsersService }> = async (app, { users }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');
  const tags = ['admin'];

  app.get(
    '/admin/users',
    {
      schema: {
        tags,
        summary: 'Users: search by email or name, filter, sort and page',
        querystring: adminUsersQuery,
        response: { 200: page(adminUserSchema) },
      },
      config: { access: staff },
    },
    async (request) => {
      const { rows, total } = await users.list(request.query);
      return { items: rows.map(toAdminUser), total };
    },
  );

  app.get(
    '/admin/users/:userId',
    {
      schema: {
        tags,
        summary: 'A user: profile, tenants and roles, live sessions (impersonations marked)',
        description: 'Their audit trail is `GET /admin/audit-log?userId=` (rows where they are the actor or the target).',
        params: userParams,
        response: { 200: adminUserDetailSchema },
      },
      config: { access: staff },
    },
    async (request) => {
      const { user, tenants, sessions } = await users.detail(request.params.userId);
      return {
        user: toAdminUser(user),
        tenants: tenants.map((t) => ({ ...t, joinedAt: t.joinedAt.toISOString() })),
        sessions: sessions.map(({ session: s, operatorEmail }) => ({
          id: s.id,
          ip: s.ip,
          userAgent: s.userAgent,
          createdAt: s.createdAt.toISOString(),
          lastUsedAt: s.lastUsedAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(),
          impersonation: s.impersonatorId ? { operatorId: s.impersonatorId, operatorEmail, reason: s.impersonationReason } : null,
        })),
      };
    },
  );

  app.patch(
    '/admin/users/:userId',
    {
      schema: {
        tags,
        summary: 'Disable or enable a user, or change their platform role',
        description: 'Disabling ends all their sessions. `reason` goes to the audit trail.',
        params: userParams,
        body: updateUserBody,
        response: { 200: adminUserSchema },
      },
      config: { access: admins, audit: { action: 'admin.update_user', targetType: 'user' } },
    },
    async (request) => {
      request.auditNote.details = request.body;
      const { reason: _reason, ...change } = request.body;
      return toAdminUser(await users.updateUser(requireAuth(request).userId, request.params.userId, change));
    },
  );

  app.post(
    '/admin/users/:userId/force-logout',
    {
      schema: {
        tags,
        summary: 'Force logout: end every session of the user',
        params: userParams,
        body: reasonBody,
        response: { 200: actionResultSchema },
      },
      config: { access: admins, audit: { action: 'admin.force_logout', targetType: 'user' } },
    },
    async (request) => {
      request.auditNote.details = { reason: request.body.reason };
      const revokedSessions = await users.forceLogout(requireAuth(request).userId, request.params.userId);
      request.auditNote.details.revokedSessions = revokedSessions;
      return { message: `Ended ${revokedSessions} session${revokedSessions === 1 ? '' : 's'}.`, revokedSessions };
    },
  );

  app.post(
    '/admin/users/:userId/reset-two-factor',
    {
      schema: {
        tags,
        summary: 'Turn off the user’s two-factor authentication (secret and recovery codes); they are signed out and mailed',
        params: userParams,
        body: reasonBody,
        response: { 200: actionResultSchema },
      },
      config: { access: admins, audit: { action: 'admin.reset_two_factor', targetType: 'user' } },
    },
    async (request) => {
      request.auditNote.details = { reason: request.body.reason };
      await users.resetTwoFactor(requireAuth(request).userId, request.params.userId);
      return { message: 'Two-factor authentication is off; the user was signed out and told by mail.' };
    },
  );

  app.post(
    '/admin/users/:userId/password-reset',
    {
      schema: {
        tags,
        summary: 'Mail the user the normal password reset link (the password itself is never shown or set)',
        params: userParams,
        response: { 200: actionResultSchema },
      },
      config: { access: admins, audit: { action: 'admin.send_password_reset', targetType: 'user' } },
    },
    async (request) => {
      const user = await users.sendPasswordReset(request.params.userId);
      return { message: `A reset link was mailed to ${user.email}.` };
    },
  );

  app.post(
    '/admin/users/:userId/impersonate',
    {
      schema: {
        tags,
        summary: 'Support impersonation: a time-limited session as the user, opened in the tenant app',
        description:
          'Platform admins only (support staff stay read-only). Refused for platform staff (409 `cannot_impersonate_staff`) and disabled ' +
          'users (409 `user_disabled`). Written to the audit log, and to the audit log of each of the user’s tenants. ' +
          'Open the returned `url` in the browser: it holds a single-use code valid for two minutes.',
        params: userParams,
        body: impersonateBody,
        response: { 201: impersonationStartedSchema },
      },
      config: { access: admins, audit: { action: 'admin.impersonation_started', targetType: 'user' } },
    },
    async (request, reply) => {
      const { reason, minutes } = request.body;
      request.auditNote.details = { reason, minutes };
      const started = await users.startImpersonation(requireAuth(request), request.params.userId, { reason, minutes }, clientInfo(request));
      const expiresAt = started.session.expiresAt.toISOString();
      Object.assign(request.auditNote.details, {
        targetEmail: started.target.email,
        sessionId: started.session.id,
        expiresAt,
        tenantIds: started.tenants.map((t) => t.id),
      });
      return reply.status(201).send({ sessionId: started.session.id, expiresAt, url: started.url });
    },
  );
};
