import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditService } from '../audit/audit.service.js';

export interface AuditSpec {
  action: string;
  /** Which path parameter names the target; defaults to the last one. */
  targetType?: string;
}

/** What a handler can add to the audit row of its request (a target created by it, a known actor email). */
export interface AuditNote {
  targetId?: string;
  tenantId?: string;
  actorId?: string;
  actorEmail?: string;
  details?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` declares a POST that changes nothing (e.g. a lookup), so it needs no audit row. */
    audit?: AuditSpec | false;
  }
  interface FastifyRequest {
    auditNote: AuditNote;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function defaultTarget(request: FastifyRequest): string | null {
  const params = Object.entries((request.params ?? {}) as Record<string, string>);
  const last = params.at(-1);
  return last ? last[1] : null;
}

/**
 * Every state-changing route declares an audit action; its onSend hook writes one row per request,
 * successful or not, before the response leaves.
 */
export function registerAuditTrail(app: FastifyInstance, audit: AuditService) {
  app.decorateRequest('auditNote', null as unknown as AuditNote);
  app.addHook('onRequest', async (request) => {
    request.auditNote = {};
  });

  const writeRow = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const spec = request.routeOptions.config.audit;
    if (!spec) return payload;
    const note = request.auditNote;
    // Requests of a support impersonation session name the operator behind the user (docs/admin.md).
    const impersonator = request.auth?.impersonator;
    const details = impersonator
      ? { ...note.details, impersonatorId: impersonator.id, impersonatorEmail: impersonator.email }
      : note.details;
    try {
      await audit.record({
        actorId: note.actorId ?? request.auth?.userId ?? null,
        actorEmail: note.actorEmail ?? request.auth?.email ?? null,
        tenantId: note.tenantId ?? request.tenantId,
        action: spec.action,
        targetType: spec.targetType ?? null,
        targetId: note.targetId ?? defaultTarget(request),
        ip: request.ip,
        result: reply.statusCode < 400 ? 'success' : 'failure',
        statusCode: reply.statusCode,
        requestId: request.id,
        ...(details ? { details } : {}),
      });
    } catch (err) {
      request.log.error({ err }, 'could not write audit row');
    }
    return payload;
  };

  app.addHook('onRoute', (route) => {
    // Only routes that declare an action carry the hook that writes the row: reads pay nothing for it.
    if (route.config?.audit) route.onSend = [...[route.onSend ?? []].flat(), writeRow];
    if (!route.url.startsWith('/api/v1/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((m) => !SAFE_METHODS.has(m)) && route.config?.audit === undefined) {
      throw new Error(`State-changing route ${methods.join(',')} ${route.url} declares no audit action`);
    }
  });
}
