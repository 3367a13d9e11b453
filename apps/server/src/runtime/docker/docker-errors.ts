import { RuntimeError } from '../instance-runtime.js';

/** Shape of the errors docker-modem raises: the engine's HTTP status and its JSON body. */
interface EngineError {
  statusCode?: number;
  json?: unknown;
  message?: string;
}

export function engineStatus(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as EngineError).statusCode : undefined;
}

/** The engine's own message ("could not find an available, non-overlapping IPv4 address pool..."), not docker-modem's prefix. */
function engineMessage(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { json, message } = err as EngineError;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  return (message ?? String(err)).trim();
}

/** Env keys whose values are secrets (the DB password, first of all). */
const SECRET_KEY = /pass|pw|secret|token|key|credential|auth/i;

function values(env: Record<string, string>, keep: (key: string, value: string) => boolean): string[] {
  return Object.entries(env)
    .filter(([key, value]) => value.length > 0 && keep(key, value))
    .map(([, value]) => value)
    .sort((a, b) => b.length - a.length);
}

/** Values masked in the output of a one-off container: those of secret-looking env keys. */
export function outputSecretsOf(env: Record<string, string>): string[] {
  return values(env, (key) => SECRET_KEY.test(key));
}

/**
 * Values masked in error messages: secret-looking ones and, to be safe, every env value long enough that
 * masking it cannot mangle the engine's wording. The engine does not echo env values, so this costs nothing.
 */
export function messageSecretsOf(env: Record<string, string>): string[] {
  return values(env, (key, value) => SECRET_KEY.test(key) || value.length >= 4);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, '***');
  return out;
}

/** Wraps anything an engine call threw into a RuntimeError that keeps the engine's message and status. */
export function toRuntimeError(operation: string, target: string, err: unknown, secrets: readonly string[] = []): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const statusCode = engineStatus(err);
  return new RuntimeError(operation, target, redact(engineMessage(err), secrets), statusCode === undefined ? {} : { statusCode });
}

/** Runs an engine call, treating the listed statuses (404 "absent", 304 "already so", ...) as success. */
export async function tolerate<T>(call: Promise<T>, statuses: readonly number[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    const status = engineStatus(err);
    if (status !== undefined && statuses.includes(status)) return undefined;
    throw err;
  }
}

/**
 * The longest a single engine call may take (stopping a container waits STOP_TIMEOUT_SECONDS; creating
 * one with its files, a few seconds). Calls that wait on purpose (a one-off's exit, a command's output)
 * pass their own limit.
 */
export const ENGINE_CALL_TIMEOUT_MS = 60_000;

/** Runs an engine call and rethrows its failure as a RuntimeError. */
export async function engineCall<T>(
  operation: string,
  target: string,
  call: () => Promise<T>,
  secrets: readonly string[] = [],
  timeoutMs: number = ENGINE_CALL_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A request the engine accepted just as it went down can stay unanswered for ever (seen across an engine
  // restart): past the time any single call takes, it is an engine error like any other, and is retried.
  const unanswered = new Promise<never>((_, reject) => {
    if (!Number.isFinite(timeoutMs)) return;
    timer = setTimeout(
      () => reject(new RuntimeError(operation, target, `the engine did not answer within ${timeoutMs / 1000} s`, { statusCode: 504 })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), unanswered]);
  } catch (err) {
    throw toRuntimeError(operation, target, err, secrets);
  } finally {
    clearTimeout(timer);
  }
}
