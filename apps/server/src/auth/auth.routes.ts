import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { access, requireAuth } from '../http/access.js';
import { clientInfo, noContent, sendNoContent } from '../http/route-helpers.js';
import { tenantSummarySchema } from '../tenants/tenants.schemas.js';
import {
  accessTokenSchema,
  emailBody,
  loginBody,
  resetPasswordBody,
  signupBody,
  tokenBody,
  toUserDto,
  userSchema,
} from './auth.schemas.js';
import type { AuthService, IssuedSession } from './auth.service.js';

export const REFRESH_COOKIE = 'saas_refresh';
const REFRESH_COOKIE_PATH = '/api/v1/auth';

export const signupResponseSchema = z.object({ user: userSchema, tenant: tenantSummarySchema });
export type SignupResponse = z.infer<typeof signupResponseSchema>;

export const authRoutes: FastifyPluginAsyncZod<{ auth: AuthService; config: Config }> = async (app, { auth, config }) => {
  const setRefreshCookie = (reply: FastifyReply, session: IssuedSession) =>
    reply.setCookie(REFRESH_COOKIE, session.refreshToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure: config.secureCookies,
      path: REFRESH_COOKIE_PATH,
      expires: session.refreshExpiresAt,
    });
  const clearRefreshCookie = (reply: FastifyReply) =>
    reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: config.secureCookies });

  app.post(
    '/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account and its organization (tenant); sends a verification email',
        body: signupBody,
        response: { 201: signupResponseSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.signup', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      const { user, tenant } = await auth.signup(request.body, clientInfo(request));
      Object.assign(request.auditNote, { actorId: user.id, targetId: user.id, tenantId: tenant.id });
      return reply.status(201).send({ user: toUserDto(user), tenant: { id: tenant.id, name: tenant.name } });
    },
  );

  app.post(
    '/auth/verify-email',
    {
      schema: {
        tags: ['auth'],
        summary: 'Confirm an email address with the token from the mail',
        body: tokenBody,
        response: { 204: noContent },
      },
      config: { access: access.public(), audit: { action: 'auth.verify_email', targetType: 'user' } },
    },
    async (request, reply) => {
      await auth.verifyEmail(request.body.token);
      return sendNoContent(reply);
    },
  );

  app.post(
    '/auth/resend-verification',
    {
      schema: { tags: ['auth'], summary: 'Send the verification mail again', response: { 202: noContent } },
      config: { access: access.user(), audit: { action: 'auth.resend_verification', targetType: 'user' } },
    },
    async (request, reply) => {
      await auth.resendVerification(requireAuth(request).userId);
      return sendNoContent(reply, 202);
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns an access token and sets the refresh cookie',
        description: 'When two-factor authentication is on and no code is given, answers 401 with code `totp_required`.',
        body: loginBody,
        response: { 200: accessTokenSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.login', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      const session = await auth.login(request.body, clientInfo(request));
      Object.assign(request.auditNote, { actorId: session.userId, targetId: session.userId });
      setRefreshCookie(reply, session);
      return { accessToken: session.accessToken, expiresIn: session.expiresIn };
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Rotate the refresh cookie and get a new access token',
        description: 'Presenting a refresh token that was already rotated revokes the whole session (401 `refresh_token_reused`).',
        response: { 200: accessTokenSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.refresh', targetType: 'session' } },
    },
    async (request, reply) => {
      try {
        const session = await auth.refresh(request.cookies[REFRESH_COOKIE], clientInfo(request), (userId) => {
          Object.assign(request.auditNote, { actorId: userId, targetId: userId });
        });
        setRefreshCookie(reply, session);
        return { accessToken: session.accessToken, expiresIn: session.expiresIn };
      } catch (err) {
        clearRefreshCookie(reply);
        throw err;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: { tags: ['auth'], summary: 'End the current session', response: { 204: noContent } },
      config: { access: access.public(), audit: { action: 'auth.logout', targetType: 'session' } },
    },
    async (request, reply) => {
      const userId = await auth.logout(request.cookies[REFRESH_COOKIE], request.auth);
      if (userId) request.auditNote.actorId = userId;
      clearRefreshCookie(reply);
      return sendNoContent(reply);
    },
  );

  app.post(
    '/auth/forgot-password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Mail a password reset link (always 202, whether or not the account exists)',
        body: emailBody,
        response: { 202: noContent },
      },
      config: { access: access.public(), audit: { action: 'auth.forgot_password' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      await auth.forgotPassword(request.body.email, clientInfo(request));
      return sendNoContent(reply, 202);
    },
  );

  app.post(
    '/auth/reset-password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the token from the mail',
        body: resetPasswordBody,
        response: { 204: noContent },
      },
      config: { access: access.public(), audit: { action: 'auth.reset_password', targetType: 'user' } },
    },
    async (request, reply) => {
      const userId = await auth.resetPassword(request.body.token, request.body.password, clientInfo(request));
      Object.assign(request.auditNote, { actorId: userId, targetId: userId });
      return sendNoContent(reply);
    },
  );
};
