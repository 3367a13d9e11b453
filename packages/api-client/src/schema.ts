// Types derived from the generated OpenAPI document (see `npm run generate`).
// Nothing here is hand-written shape: it only re-keys and indexes `paths`.
import type { HttpMethod, PathsWithMethod, RequestBodyJSON, SuccessResponseJSON } from 'openapi-typescript-helpers';
import type { components, paths } from '../generated/schema';

export type { components, paths };

/** The API prefix every route lives under; the client's baseUrl ends with it. */
export const API_PREFIX = '/api/v1';

// Call sites use short paths ('/me') whether or not the document spells the prefix,
// so a change in how the server mounts its routes stays local to this file.
type StripPrefix<P> = {
  [K in keyof P as K extends `/api/v1${infer Rest extends string}` ? Rest : K]: P[K];
};

export type ApiPaths = StripPrefix<paths>;

/** The paths that have `method`, e.g. every `post` route. */
export type ApiPath<M extends HttpMethod> = PathsWithMethod<ApiPaths, M>;

/** JSON body of the success response of `method path`. */
export type ApiData<M extends HttpMethod, P extends PathsWithMethod<ApiPaths, M>> = SuccessResponseJSON<
  ApiPaths[P][M] & Record<string | number, unknown>
>;

/** Query parameters of `method path`. */
export type ApiQuery<M extends HttpMethod, P extends PathsWithMethod<ApiPaths, M>> = NonNullable<
  (ApiPaths[P][M] & { parameters: { query?: unknown } })['parameters']['query']
>;

/** JSON request body of `method path`. */
export type ApiBody<M extends HttpMethod, P extends PathsWithMethod<ApiPaths, M>> = RequestBodyJSON<ApiPaths[P][M]>;

/**
 * One event of the Server-Sent Events that `GET path` streams (`text/event-stream`), as the document
 * describes it: `{ event, data }`, with `data` already parsed from JSON.
 */
export type ApiEvent<P extends PathsWithMethod<ApiPaths, 'get'>> = ApiPaths[P]['get'] extends {
  responses: { 200: { content: { 'text/event-stream': infer E } } };
}
  ? E
  : never;
