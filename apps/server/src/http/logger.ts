import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';

/** Paths pino blanks out: credentials must never reach the logs, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.totpCode',
  '*.recoveryCode',
];

/** Query parameters whose values are secrets (one-time links, OAuth codes, keys): never logged. */
const SECRET_QUERY_PARAMS = /^(token|access_token|refresh_token|id_token|code|password|secret|key|api_key|signature)$/i;

/** The URL with the values of secret query parameters replaced; names are compared decoded, as the API reads them. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  if (![...params.keys()].some((name) => SECRET_QUERY_PARAMS.test(name))) return url;
  const kept = [...params].map(([name, value]) => [name, SECRET_QUERY_PARAMS.test(name) ? '[redacted]' : value]);
  return `${url.slice(0, at)}?${new URLSearchParams(kept).toString()}`;
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Fastify's own request fields, with the URL's secret query values taken out.
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}

/**
 * One line per request at info: "request completed" names the request (method, url, address) beside
 * its status and time. Fastify's own "incoming request" line, which doubled the log volume and its
 * cost on every request, is written at debug.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest) {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
