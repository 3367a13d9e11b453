import type { FastifyInstance } from 'fastify';
import { forbidden } from '../errors/domain-error.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An account action an operator must never take while impersonating the user (password, two-factor,
     * Odoo credentials, ownership): refused with 403 `impersonation_forbidden` (docs/admin.md).
     */
    sensitive?: boolean;
  }
}

/**
 * Refuses sensitive routes, and every platform route, to impersonation sessions. Registered after the
 * access check (hooks run in order), so the caller is known; the refusal is audited like any other.
 */
export function registerImpersonationGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (!request.auth?.impersonator) return;
    const config = request.routeOptions.config;
    if (config.sensitive || config.access?.kind === 'platform') {
      throw forbidden('impersonation_forbidden', 'This action is not available while support is viewing the account as its user.');
    }
  });
}
