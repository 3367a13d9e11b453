export { requestLimits } from '../generated/request-limits';
// Enum values as arrays (openapi-typescript --enum-values), for the few places that list them all.
export { backupStatusValues, instanceStatusValues } from '../generated/schema';
export { type ApiClient, type ApiClientOptions, createApiClient } from './client';
export { ApiProblem, isApiProblem, type ProblemFieldError, type ProblemInit, unwrap } from './problem';
export {
  API_PREFIX,
  type ApiBody,
  type ApiData,
  type ApiEvent,
  type ApiPath,
  type ApiPaths,
  type ApiQuery,
  type components,
  type paths,
} from './schema';
export { readServerSentEvents, readText, type ServerSentEvent } from './streams';
