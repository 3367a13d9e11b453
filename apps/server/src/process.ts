import type { FastifyBaseLogger } from 'fastify';
import { ConfigError } from './config/config.js';

/** Start-up stops on a bad setting, naming it, rather than running half-configured. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nSee docs/configuration.md for every setting.\n`);
    process.exit(78);
  }
  throw err;
}

/**
 * What nothing handled is a bug or a broken process, not a dependency's hiccup (those are handled where
 * they happen): log it with the reason and exit non-zero, so the supervisor starts a clean process.
 */
export function exitOnFatalError(log: FastifyBaseLogger, role: 'api' | 'worker') {
  const fatal = (kind: string) => (err: unknown) => {
    log.fatal({ err, role, kind }, `${role} stopping on an unhandled error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
}

const QUIET_MS = 30_000;

/** An error's message for logs and reports; a refused connection can come as an AggregateError (IPv4 and IPv6) with an empty message, so its code stands in. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
}

/**
 * Logs a dependency's connection errors at most once per 30 s per source, with how many were left out:
 * a restart of PostgreSQL or Redis makes every client retry many times a second, and one line says it all.
 */
export function dependencyErrorLog(log: FastifyBaseLogger) {
  const last = new Map<string, { at: number; skipped: number }>();
  return (source: string, err: unknown) => {
    const now = Date.now();
    const seen = last.get(source);
    if (seen && now - seen.at < QUIET_MS) {
      seen.skipped++;
      return;
    }
    last.set(source, { at: now, skipped: 0 });
    const message = errorText(err);
    log.warn({ dependency: source, err: message, ...(seen?.skipped ? { suppressed: seen.skipped } : {}) }, `${source} connection error`);
  };
}

export type DependencyErrorLog = ReturnType<typeof dependencyErrorLog>;
