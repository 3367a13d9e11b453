import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { PlatformRole } from '../auth/auth.schemas.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { DomainError, forbidden, notFound, unauthenticated } from '../errors/domain-error.js';
import type { TenantRole } from '../tenants/tenants.schemas.js';

/** Who may call a route. Every route under /api/v1 declares one; the app refuses to start otherwise. */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'user' }
  | { kind: 'platform'; roles: PlatformRole[] }
  | {
      kind: 'tenant';
      roles: TenantRole[];
      /** Finds the tenant that owns the addressed resource; null means "no such resource". */
      resolveTenant: (request: FastifyRequest) => Promise<string | null> | string | null;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const tenantIdParam = (request: FastifyRequest) => {
  const id = (request.params as Record<string, unknown>).tenantId;
  return isUuid(id) ? id : null;
};

export const access = {
  public: (): AccessRule => ({ kind: 'public' }),
  user: (): AccessRule => ({ kind: 'user' }),
  platform: (...roles: PlatformRole[]): AccessRule => ({ kind: 'platform', roles }),
  /** A route under /tenants/:tenantId for members with one of these roles. */
  tenant: (...roles: TenantRole[]): AccessRule => ({ kind: 'tenant', roles, resolveTenant: tenantIdParam }),
  /** A route on a tenant-owned resource addressed by its own id (e.g. /instances/:id). */
  tenantOf: (resolveTenant: (request: FastifyRequest) => Promise<string | null>, ...roles: TenantRole[]): AccessRule => ({
    kind: 'tenant',
    roles,
    resolveTenant,
  }),
};

/** A short, stable description of a rule, published in the OpenAPI document as `x-access`. */
export function describeAccess(rule: AccessRule): string {
  switch (rule.kind) {
    case 'public':
    case 'user':
      return rule.kind;
    case 'platform':
      return `platform:${rule.roles.join(',')}`;
    case 'tenant':
      return `tenant:${rule.roles.join(',')}`;
  }
}

export interface AccessDeps {
  /**
   * Resolves a bearer token to a live user and session, or throws an `unauthenticated` DomainError.
   * Given a tenant, the same lookup finds the user's role there (null: not a member).
   */
  authenticate(token: string, tenantId?: string | null): Promise<{ user: AuthenticatedUser; tenantRole: TenantRole | null }>;
  /** Platform staff must have two-factor authentication before using platform routes (STAFF_TWO_FACTOR). */
  requireStaffTotp: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    auth: AuthenticatedUser | null;
    tenantId: string | null;
    tenantRole: TenantRole | null;
  }
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : null;
}

export function requireAuth(request: FastifyRequest): AuthenticatedUser {
  if (!request.auth) throw unauthenticated('authentication_required', 'Log in to continue.');
  return request.auth;
}

/** Registers the access check: one place, before validation, for every route. */
export function registerAccessControl(app: FastifyInstance, deps: AccessDeps) {
  app.decorateRequest('auth', null);
  app.decorateRequest('tenantId', null);
  app.decorateRequest('tenantRole', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/v1/')) return;
    if (!route.config?.access) {
      throw new Error(`Route ${route.method} ${route.url} declares no access rule`);
    }
  });

  app.addHook('preValidation', async (request) => {
    const rule = request.routeOptions.config.access;
    if (!rule) return;
    const token = bearer(request);
    // On tenant routes the session, the user and the membership are one query, so the tenant comes first.
    const tenantId = token && rule.kind === 'tenant' ? await rule.resolveTenant(request) : null;
    let role: TenantRole | null = null;
    if (token) {
      // A stale token must not block public routes: the client sends its expired token along to
      // /auth/refresh, /auth/login and /auth/logout, which then go by the cookie or the body.
      const found = await deps.authenticate(token, tenantId).catch((err: unknown) => {
        if (rule.kind === 'public' && err instanceof DomainError && err.kind === 'unauthenticated') return null;
        throw err;
      });
      request.auth = found?.user ?? null;
      role = found?.tenantRole ?? null;
    }
    if (rule.kind === 'public') return;

    const user = requireAuth(request);
    if (rule.kind === 'user') return;

    if (rule.kind === 'platform') {
      if (!user.platformRole || !rule.roles.includes(user.platformRole)) {
        throw forbidden('forbidden', 'Your account may not use this part of the platform.');
      }
      if (deps.requireStaffTotp && !user.totpEnabled) {
        throw forbidden('totp_setup_required', 'Set up two-factor authentication to use the admin dashboard.');
      }
      return;
    }

    // Tenant resources: anything short of membership looks exactly like "does not exist".
    if (!tenantId || !role) throw notFound();
    request.tenantId = tenantId;
    request.tenantRole = role;
    if (!rule.roles.includes(role)) {
      throw forbidden('insufficient_role', `This action needs the ${rule.roles.join(' or ')} role in this tenant.`);
    }
  });
}
