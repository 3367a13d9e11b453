import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, requireAuth } from '../http/access.js';
import { noContent, sendNoContent } from '../http/route-helpers.js';
import { tenantRoleSchema } from '../tenants/tenants.schemas.js';
import type { AccountService } from './account.service.js';
import { passwordSchema, personNameSchema, sessionSchema, toUserDto, userSchema } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';
import type { ImpersonationService } from './impersonation.service.js';
import type { TotpService } from './totp.service.js';

const meSchema = z
  .object({
    user: userSchema,
    tenants: z.array(z.object({ id: z.uuid(), name: z.string(), role: tenantRoleSchema })),
    /** Set while a platform operator views the account as this user (support impersonation, docs/admin.md). */
    impersonation: z.object({ operatorEmail: z.string(), reason: z.string(), expiresAt: z.iso.datetime() }).nullable(),
  })
  .meta({ id: 'Me' });

const codeSchema = z.string().trim().min(6).max(10);

export const meRoutes: FastifyPluginAsyncZod<{
  account: AccountService;
  auth: AuthService;
  totp: TotpService;
  impersonation: ImpersonationService;
}> = async (app, { account, auth, totp, impersonation }) => {
  const self = { access: access.user() };

  app.get(
    '/me',
    { schema: { tags: ['account'], summary: 'The logged-in user and their tenants', response: { 200: meSchema } }, config: self },
    async (request) => {
      const caller = requireAuth(request);
      const [{ user, tenants }, viewedAs] = await Promise.all([
        account.profile(caller.userId),
        caller.impersonator ? impersonation.describe(caller.sessionId) : null,
      ]);
      return { user: toUserDto(user), tenants, impersonation: viewedAs };
    },
  );

  app.patch(
    '/me',
    {
      schema: {
        tags: ['account'],
        summary: 'Update the profile',
        body: z.object({ name: personNameSchema }),
        response: { 200: userSchema },
      },
      config: { ...self, audit: { action: 'account.update_profile', targetType: 'user' } },
    },
    async (request) => {
      const { userId } = requireAuth(request);
      request.auditNote.targetId = userId;
      const user = await account.rename(userId, request.body.name);
      return toUserDto(user);
    },
  );

  app.post(
    '/me/password',
    {
      schema: {
        tags: ['account'],
        summary: 'Change the password; other sessions are signed out',
        body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }),
        response: { 204: noContent },
      },
      config: { ...self, sensitive: true, audit: { action: 'account.change_password', targetType: 'user' } },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      request.auditNote.targetId = user.userId;
      await auth.changePassword(user, request.body.currentPassword, request.body.newPassword);
      return sendNoContent(reply);
    },
  );

  app.get(
    '/me/sessions',
    { schema: { tags: ['account'], summary: 'Active sessions of the user', response: { 200: z.array(sessionSchema) } }, config: self },
    async (request) => {
      const user = requireAuth(request);
      const rows = await account.sessions(user.userId);
      return rows.map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        current: s.id === user.sessionId,
        support: Boolean(s.impersonatorId),
      }));
    },
  );

  app.delete(
    '/me/sessions/:sessionId',
    {
      schema: {
        tags: ['account'],
        summary: 'Revoke one of the user’s sessions',
        params: z.object({ sessionId: z.uuid() }),
        response: { 204: noContent },
      },
      config: { ...self, audit: { action: 'account.revoke_session', targetType: 'session' } },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      await account.revokeSession(user.userId, request.params.sessionId);
      return sendNoContent(reply);
    },
  );

  app.post(
    '/me/totp/setup',
    {
      schema: {
        tags: ['account'],
        summary: 'Start two-factor setup: a new secret to add to an authenticator app',
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }) },
      },
      config: { ...self, sensitive: true, audit: { action: 'account.totp_setup', targetType: 'user' } },
    },
    async (request) => totp.setup(requireAuth(request).userId),
  );

  app.post(
    '/me/totp/enable',
    {
      schema: {
        tags: ['account'],
        summary: 'Confirm two-factor setup with a code; returns recovery codes (shown once)',
        body: z.object({ code: codeSchema }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
      config: { ...self, sensitive: true, audit: { action: 'account.totp_enable', targetType: 'user' } },
    },
    async (request) => ({ recoveryCodes: await totp.enable(requireAuth(request).userId, request.body.code) }),
  );

  app.post(
    '/me/totp/disable',
    {
      schema: {
        tags: ['account'],
        summary: 'Turn two-factor authentication off',
        body: z.object({ password: passwordSchema, code: codeSchema }),
        response: { 204: noContent },
      },
      config: { ...self, sensitive: true, audit: { action: 'account.totp_disable', targetType: 'user' } },
    },
    async (request, reply) => {
      await totp.disable(requireAuth(request).userId, request.body.password, request.body.code);
      return sendNoContent(reply);
    },
  );
};
