export { createApiClient, type ApiClient, type ApiClientOptions } from './client';
export { ApiProblem, isApiProblem, unwrap, type ProblemFieldError, type ProblemInit } from './problem';
export { API_PREFIX, type ApiBody, type ApiData, type ApiPaths, type components, type paths } from './schema';
