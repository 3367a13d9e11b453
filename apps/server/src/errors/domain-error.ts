/** A field-level validation message, as sent in problem details `errors`. */
export interface FieldError {
  field: string;
  message: string;
  code: string;
}

/**
 * What went wrong, in the domain's words. The HTTP layer maps each kind to a status
 * (http/problem.ts); nothing below it knows about HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'payment_required'
  | 'bad_gateway'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'unsupported_media_type'
  | 'locked'
  | 'rate_limited'
  | 'unavailable';

export interface ErrorDetails {
  errors?: FieldError[];
  /** When the caller may try again (rate limits, locks). */
  retryAfterSeconds?: number;
}

/** The one error type domain code throws: a kind, a stable machine-readable code and a message for people. */
export class DomainError extends Error {
  constructor(
    public readonly kind: ErrorKind,
    public readonly code: string,
    message: string,
    public readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what = 'Resource') => new DomainError('not_found', 'not_found', `${what} not found.`);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const invalid = (code: string, message: string, errors?: FieldError[]) =>
  new DomainError('invalid', code, message, errors ? { errors } : {});
export const fieldInvalid = (field: string, code: string, message: string) =>
  invalid('validation_failed', message, [{ field, code, message }]);
export const unauthenticated = (code: string, message: string) => new DomainError('unauthenticated', code, message);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
/** The subscription does not allow it (none, suspended): paying or changing plan fixes it. */
export const paymentRequired = (code: string, message: string) => new DomainError('payment_required', code, message);
/** An outside service we call (the billing provider) refused or failed. */
export const badGateway = (code: string, message: string) => new DomainError('bad_gateway', code, message);
export const tooLarge = (code: string, message: string) => new DomainError('too_large', code, message);
export const gone = (code: string, message: string) => new DomainError('gone', code, message);
export const locked = (code: string, message: string, retryAfterSeconds: number) =>
  new DomainError('locked', code, message, { retryAfterSeconds });
export const unavailable = (code: string, message: string) => new DomainError('unavailable', code, message);
export const rateLimited = (retryAfterSeconds: number) =>
  new DomainError('rate_limited', 'rate_limited', 'Too many requests. Try again later.', { retryAfterSeconds });
