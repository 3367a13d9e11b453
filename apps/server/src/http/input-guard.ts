import type { FastifyInstance } from 'fastify';
import { type FieldError, invalid } from '../errors/domain-error.js';

/** Where in a parsed request a string holds a NUL character, named like validation errors (`email`, `params.userId`). */
function nulFields(value: unknown, context: string, path = '', found: FieldError[] = []): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      const field = !path ? context : context === 'body' ? path : `${context}.${path}`;
      found.push({ field, code: 'nul_character', message: 'Must not contain NUL characters.' });
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) nulFields(item, context, path ? `${path}.${key}` : key, found);
  }
  return found;
}

/**
 * The API speaks JSON only, and PostgreSQL text cannot hold NUL characters: refuse both up front
 * (415, 400 validation_failed) instead of parsing text/plain or failing with a 500 at the database.
 */
export function registerInputGuard(app: FastifyInstance) {
  app.removeContentTypeParser('text/plain');
  app.addHook('preValidation', async (request) => {
    const errors = [...nulFields(request.params, 'params'), ...nulFields(request.query, 'querystring'), ...nulFields(request.body, 'body')];
    if (errors.length) throw invalid('validation_failed', 'The request is not valid.', errors);
  });
}
