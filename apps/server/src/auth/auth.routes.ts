import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { access } from '../http/access.js';
import { clientInfo, noContent, sendNoContent } from '../http/route-helpers.js';
import { accessTokenSchema, emailBody, loginBody, resetPasswordBody, signupAcceptedSchema, signupBody, tokenBody } from './auth.schemas.js';
import type { AuthService, IssuedSession } from './auth.service.js';

export const REFRESH_COOKIE = 'saas_refresh';
const REFRESH_COOKIE_PATH = '/api/v1/auth';

/**
 * Under TLS the refresh cookie carries the `__Host-` prefix: browsers then refuse a cookie of that name set
 * by another host (a tenant's page on a subdomain) or scoped to a Domain, so it cannot be overwritten or
 * shadowed. The prefix requires Secure and Path=/; plain-http local mode keeps the old name and path.
 */
export function refreshCookie(config: Pick<Config, 'secureCookies'>): { name: string; path: string } {
  return config.secureCookies ? { name: `__Host-${REFRESH_COOKIE}`, path: '/' } : { name: REFRESH_COOKIE, path: REFRESH_COOKIE_PATH };
}

export const SIGNUP_ACCEPTED = {
  status: 'check_your_mail',
  message: 'We sent a message to this address. Follow it to confirm the address, then log in.',
} as const satisfies z.infer<typeof signupAcceptedSchema>;

/** Sets the session's refresh cookie (also used by the impersonation handoff, impersonation.routes.ts). */
export function setRefreshCookie(reply: FastifyReply, config: Pick<Config, 'secureCookies'>, session: IssuedSession) {
  const cookie = refreshCookie(config);
  return reply.setCookie(cookie.name, session.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure: config.secureCookies,
    path: cookie.path,
    expires: session.refreshExpiresAt,
  });
}

export const authRoutes: FastifyPluginAsyncZod<{ auth: AuthService; config: Config }> = async (app, { auth, config }) => {
  const cookie = refreshCookie(config);
  const clearRefreshCookie = (reply: FastifyReply) =>
    reply.clearCookie(cookie.name, { path: cookie.path, httpOnly: true, sameSite: 'strict', secure: config.secureCookies });

  app.post(
    '/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account and its organization (tenant); sends a verification email',
        description:
          'Always answers 202 with the same body, so it never tells whether the address already has an account: ' +
          'a new address gets a verification mail, an existing one a note to its owner. The account and tenant are ' +
          'then seen through `GET /me` after logging in.',
        body: signupBody,
        response: { 202: signupAcceptedSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.signup', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      const outcome = await auth.signup(request.body, clientInfo(request));
      if ('created' in outcome) {
        const { user, tenant } = outcome.created;
        Object.assign(request.auditNote, { actorId: user.id, targetId: user.id, tenantId: tenant.id });
      } else {
        Object.assign(request.auditNote, { targetId: outcome.existing.id, details: { existingAccount: true } });
      }
      return reply.status(202).send(SIGNUP_ACCEPTED);
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
      schema: {
        tags: ['auth'],
        summary: 'Send the verification mail again (always 202, whether or not the address has an unconfirmed account)',
        description: 'Limited per address and per client IP (429 `rate_limited` with Retry-After).',
        body: emailBody,
        response: { 202: noContent },
      },
      config: { access: access.public(), audit: { action: 'auth.resend_verification', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      await auth.resendVerification(request.body.email, clientInfo(request));
      return sendNoContent(reply, 202);
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns an access token and sets the refresh cookie',
        description:
          'When two-factor authentication is on and no code is given, answers 401 with code `totp_required`. ' +
          'After too many failures from one client IP for one address, that IP (only) gets 423 `account_locked` ' +
          'with Retry-After for a while, for unknown addresses exactly as for known ones.',
        body: loginBody,
        response: { 200: accessTokenSchema },
      },
      config: { access: access.public(), audit: { action: 'auth.login', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.actorEmail = request.body.email;
      const session = await auth.login(request.body, clientInfo(request));
      Object.assign(request.auditNote, { actorId: session.userId, targetId: session.userId });
      setRefreshCookie(reply, config, session);
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
        const session = await auth.refresh(request.cookies[cookie.name], clientInfo(request), (userId) => {
          Object.assign(request.auditNote, { actorId: userId, targetId: userId });
        });
        setRefreshCookie(reply, config, session);
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
      const userId = await auth.logout(request.cookies[cookie.name], request.auth);
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
