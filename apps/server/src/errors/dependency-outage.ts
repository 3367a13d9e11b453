/**
 * Failures that mean a dependency (PostgreSQL, Redis) is away — restarting, refusing or cutting
 * connections — rather than a bug or the request's fault. A request that meets one is answered 503 with
 * Retry-After, not 500: the same request will work once the dependency is back.
 */

/** Socket-level errors of a connection to a dependency. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** PostgreSQL's: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections; class 08 is "connection exception". */
const POSTGRES_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres, its pool and ioredis say when a connection is gone or cannot be had. */
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Connection is closed|max retries per request/i;

export function isDependencyOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  if (err instanceof AggregateError && err.errors.some((e) => isDependencyOutage(e, depth + 1))) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (err instanceof Error && MESSAGES.test(err.message)) return true;
  // Query builders wrap the driver's error (drizzle's DrizzleQueryError has it as `cause`).
  return isDependencyOutage((err as { cause?: unknown }).cause, depth + 1);
}

/** Seconds a client should wait before trying again (a restart takes a few). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
