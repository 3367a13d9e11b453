export { type ApiClient, type ApiClientOptions, createApiClient } from './client';
export { ApiProblem, isApiProblem, type ProblemFieldError, type ProblemInit, unwrap } from './problem';
export { API_PREFIX, type ApiBody, type ApiData, type ApiEvent, type ApiPaths, type components, type paths } from './schema';
export { readServerSentEvents, readText, type ServerSentEvent } from './streams';
