import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isDependencyOutage, OUTAGE_RETRY_AFTER_SECONDS } from '../errors/dependency-outage.js';
import { DomainError, type ErrorKind, type FieldError } from '../errors/domain-error.js';
import { errorText } from '../process.js';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code'),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string(), code: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The one place where a domain error's kind becomes an HTTP status. */
export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unsupported_media_type: 415,
  locked: 423,
  rate_limited: 429,
  bad_gateway: 502,
  unavailable: 503,
};

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
) {
  const body: Problem = {
    type: `https://docs.odoo-saas.local/problems/${code}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(errors ? { errors } : {}),
  };
  return reply.status(status).type('application/problem+json').send(body);
}

/** Fastify's own error codes that are the client's fault, mapped to stable codes. */
const fastifyCodes: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length'],
};

/** Body fields are named plainly (`email`), as the services name them; query and path fields get a prefix. */
function fieldPath(instancePath: string, context: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (context === 'body') return path || 'body';
  return path ? `${context}.${path}` : context;
}

/**
 * Fastify's router answers a malformed percent-encoding (400) or a path parameter over its length limit
 * (414) before any handler runs; Fastify's `frameworkErrors` option routes them here so they too are problem details.
 */
export function frameworkErrorProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') sendProblem(request, reply, 414, 'uri_too_long', 'A path segment is too long.');
  else if (error.code === 'FST_ERR_BAD_URL') sendProblem(request, reply, 400, 'bad_url', 'The URL is not validly encoded.');
  else {
    request.log.error({ err: error }, 'router error');
    sendProblem(request, reply, 500, 'internal_error', 'An unexpected error occurred.');
  }
}

export function registerProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.details.retryAfterSeconds !== undefined) {
        reply.header('Retry-After', String(Math.max(1, Math.ceil(error.details.retryAfterSeconds))));
      }
      return sendProblem(request, reply, statusOfKind[error.kind], error.code, error.message, error.details.errors);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      const errors = error.validation.map((v) => ({
        field: fieldPath(v.instancePath, context),
        message: v.message ?? 'is invalid',
        code: v.keyword,
      }));
      return sendProblem(request, reply, 400, 'validation_failed', 'The request is not valid.', errors);
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined;
    if (mapped) return sendProblem(request, reply, mapped[0], mapped[1], error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(request, reply, error.statusCode, 'bad_request', error.message);
    }
    if (isDependencyOutage(error)) {
      // Logged once per request, briefly: the outage itself is logged by the clients' error listeners.
      request.log.warn({ err: errorText(error) }, 'dependency unavailable');
      reply.header('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
      return sendProblem(
        request,
        reply,
        503,
        'service_unavailable',
        'The service is briefly unavailable while one of its systems restarts. Try again in a few seconds.',
      );
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'internal_error', 'An unexpected error occurred.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}
