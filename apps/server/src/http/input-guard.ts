import { Stream } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type FieldError, invalid } from '../errors/domain-error.js';

interface Node {
  value: unknown;
  key: string;
  parent: Node | null;
}

/**
 * Parsed data only: a route that takes its body as a stream (backup uploads) must not have the stream's
 * socket, server and buffers walked as if they were fields (they are cyclic and huge).
 */
const isParsedData = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !(value instanceof Stream) && !ArrayBuffer.isView(value);

/**
 * Where in a parsed request a string holds a NUL character, named like validation errors (`email`, `params.userId`).
 * An explicit stack, not recursion, and paths built only for a hit: a deeply nested JSON body must be refused by
 * validation, not overflow the call stack (a 500) or build a path per level.
 */
function nulFields(value: unknown, context: string): FieldError[] {
  const found: FieldError[] = [];
  const stack: Node[] = [{ value, key: '', parent: null }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (typeof node.value === 'string') {
      if (!node.value.includes('\u0000')) continue;
      const keys: string[] = [];
      for (let n: Node | null = node; n?.parent; n = n.parent) keys.unshift(n.key);
      const path = keys.join('.');
      const field = !path ? context : context === 'body' ? path : `${context}.${path}`;
      found.push({ field, code: 'nul_character', message: 'Must not contain NUL characters.' });
    } else if (isParsedData(node.value)) {
      // Reversed, so fields are reported in their order in the request.
      for (const [key, item] of Object.entries(node.value).reverse()) stack.push({ value: item, key, parent: node });
    }
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
