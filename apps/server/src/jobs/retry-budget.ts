/**
 * The one retry budget of an operation (an instance's provisioning, deletion, restart...): the queue gives
 * its job this many attempts, and a workflow gives its run as many executions (crash resumes included) before
 * it compensates. The workflow counts at least as many executions as the queue counts attempts, so the queue
 * never gives up on a run the workflow would still retry: the run ends with an outcome, and its job completes.
 */
export const OPERATION_ATTEMPTS = 8;

/** Between attempts: 2 s, 4 s, 8 s... (about four minutes in all), long enough to ride out a dependency's restart. */
export const OPERATION_BACKOFF = { type: 'exponential', delay: 2000 } as const;
