/** A field-level validation message, as sent in problem details `errors`. */
export interface FieldError {
  field: string;
  message: string;
  code: string;
}

/**
 * The one error type domain code throws. It carries a stable machine-readable code;
 * the HTTP layer turns it into RFC 9457 problem details.
 */
export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found.`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const invalid = (code: string, message: string, errors?: FieldError[]) => new AppError(400, code, message, errors ? { errors } : {});
export const fieldInvalid = (field: string, code: string, message: string) =>
  new AppError(400, 'validation_failed', message, { errors: [{ field, code, message }] });
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', 'Too many requests. Try again later.', { retryAfterSeconds });
