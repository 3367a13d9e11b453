// RFC 9457 problem details as a typed Error, so UI code can branch on `code`.

export interface ProblemFieldError {
  field: string;
  message: string;
  code: string;
}

export interface ProblemInit {
  status: number;
  code: string;
  title: string;
  detail?: string;
  type?: string;
  errors?: ProblemFieldError[];
  retryAfterSeconds?: number | null;
}

export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly fieldErrors: ProblemFieldError[];
  /** From a 429's Retry-After header, when present. */
  readonly retryAfterSeconds: number | null;

  constructor(init: ProblemInit) {
    super(init.detail || init.title);
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail || init.title;
    this.type = init.type ?? 'about:blank';
    this.fieldErrors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** Builds an ApiProblem from whatever an error response carried (problem JSON, other JSON, or nothing). */
  static from(body: unknown, response: Response): ApiProblem {
    const b = isRecord(body) ? body : {};
    const retryAfter = Number(response.headers.get('retry-after'));
    return new ApiProblem({
      status: typeof b.status === 'number' ? b.status : response.status,
      code: typeof b.code === 'string' ? b.code : `http_${response.status}`,
      title: typeof b.title === 'string' ? b.title : response.statusText || 'Request failed',
      detail: typeof b.detail === 'string' ? b.detail : undefined,
      type: typeof b.type === 'string' ? b.type : undefined,
      errors: Array.isArray(b.errors) ? b.errors.filter(isFieldError) : [],
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    });
  }

  static network(cause: unknown): ApiProblem {
    const p = new ApiProblem({
      status: 0,
      code: 'network_error',
      title: 'Network error',
      detail: 'Could not reach the server. Check your connection and try again.',
    });
    (p as { cause?: unknown }).cause = cause;
    return p;
  }
}

export function isApiProblem(e: unknown): e is ApiProblem {
  return e instanceof ApiProblem;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isFieldError(v: unknown): v is ProblemFieldError {
  return isRecord(v) && typeof v.field === 'string' && typeof v.message === 'string';
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws ApiProblem.
 * Checks `response.ok` rather than `error`, because an empty error body leaves `error` undefined.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    throw ApiProblem.network(e);
  }
  if (!result.response.ok) throw ApiProblem.from(result.error, result.response);
  return result.data as T;
}
