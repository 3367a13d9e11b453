import { randomUUID } from 'node:crypto';

/**
 * Hostile requests derived from the OpenAPI document the server publishes: for every operation, bad
 * values in each path parameter, query parameter and body field (typed by the field's schema), plus
 * whole bodies that are malformed, mistyped, deep, huge or over the limit.
 */

/** The subset of JSON Schema that @fastify/swagger publishes for our zod schemas. */
export interface Schema {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Operation {
  method: Method;
  path: string;
  /** The operation's `x-access` rule (public, user, platform:…, tenant:…). */
  rule: string;
  params: { name: string; in: 'path' | 'query'; schema: Schema }[];
  body?: Schema;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        'x-access': string;
        parameters?: { name: string; in: string; schema: Schema }[];
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
}

export function operationsOf(doc: unknown): Operation[] {
  return Object.entries((doc as OpenApiDoc).paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase() as Method,
      path,
      rule: op['x-access'],
      params: (op.parameters ?? []).flatMap((p) =>
        p.in === 'path' || p.in === 'query' ? [{ name: p.name, in: p.in, schema: p.schema }] : [],
      ),
      ...(op.requestBody ? { body: op.requestBody.content['application/json']?.schema } : {}),
    })),
  );
}

/** Strings that would do harm if they reached SQL, nginx's config, a shell or the filesystem unescaped. */
export const INJECTIONS = [
  "' OR 1=1--",
  '"; drop table users;--',
  "1'; update users set platform_role='admin';--",
  '}; server { listen 80; location / { proxy_pass http://127.0.0.1:5432; } } #',
  '$host',
  'a;\nreturn 301 https://evil.example;',
  '$(id)',
  '`id`',
  '; rm -rf /',
  '| cat /etc/passwd',
  '../../etc/passwd',
  '%2e%2e/%2e%2e/etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\win.ini',
];

/** Empty, blank, control characters, unicode oddities. */
const BOUNDARY_STRINGS = ['', ' ', '\u0000', 'a\u0000b', '\r\n', 'Ünïcødé 名前 😀', '\u202Eevil\u200B\uFEFF', '\uD800'];
const WRONG_TYPES: unknown[] = [42, -1, true, null, [], {}, ['a'], { $ne: '' }];

const too = (schema: Schema, fallback: number) => 'x'.repeat((schema.maxLength ?? fallback) + 1);

function stringValues(schema: Schema): unknown[] {
  return [...BOUNDARY_STRINGS, too(schema, 255), 'x'.repeat(100_000), ...INJECTIONS, ...WRONG_TYPES];
}

function integerValues(schema: Schema): unknown[] {
  const { minimum = 0, maximum = 2 ** 31 - 1 } = schema;
  return [
    0,
    -1,
    minimum - 1,
    maximum + 1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 53 + 2,
    1e308,
    1.5,
    '1',
    'abc',
    '',
    '9'.repeat(400),
    null,
    [],
    {},
    true,
  ];
}

const BOOLEAN_VALUES: unknown[] = ['true', 1, 0, '', 'yes', null, [], {}];

function kindOf(schema: Schema): 'string' | 'integer' | 'boolean' {
  const type = schema.type ?? schema.anyOf?.[0]?.type;
  if (type === 'integer' || type === 'number') return 'integer';
  if (type === 'boolean') return 'boolean';
  return 'string';
}

/** Hostile values for a field of this schema. */
export function hostileValues(schema: Schema): unknown[] {
  const kind = kindOf(schema);
  if (kind === 'integer') return integerValues(schema);
  if (kind === 'boolean') return BOOLEAN_VALUES;
  return stringValues(schema);
}

let fillCounter = 0;
const PATTERN_CANDIDATES = ['hx-fill', '99.0', 'a', '1'];

/** A value the schema accepts, so the one hostile field of a case is the only thing wrong with it. */
export function fillValue(name: string, schema: Schema): unknown {
  const branch = schema.anyOf?.[0] ?? schema;
  if (branch.enum) return branch.enum[0];
  const kind = kindOf(branch);
  if (kind === 'integer') return branch.minimum ?? 0;
  if (kind === 'boolean') return false;
  if (branch.format === 'uuid') return randomUUID();
  if (/email/i.test(name)) return `hx-${Date.now().toString(36)}-${++fillCounter}@example.com`;
  if (/slug/i.test(name)) return `hx-${Date.now().toString(36)}-${++fillCounter}`;
  if (branch.pattern) {
    const re = new RegExp(branch.pattern);
    const found = PATTERN_CANDIDATES.find((c) => re.test(c));
    if (found) return found;
  }
  return 'x'.repeat(Math.max(branch.minLength ?? 1, 1));
}

export interface HostileCase {
  /** What is hostile: `path.tenantId`, `query.limit`, `body.name`, `body` (the whole body) or `auth`. */
  target: string;
  label: string;
  url: string;
  payload?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** URL-encodes a value; a lone surrogate (no UTF-8 form) is sent as its raw, invalid bytes instead. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

const show = (value: unknown) => {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}…(${text.length})` : text;
};

/** A URL with every path parameter filled: `real` ids where given, else a schema-valid value that names nothing. */
export function fillPath(op: Operation, real: Record<string, string>, override?: [string, string]): string {
  let url = op.path;
  for (const p of op.params.filter((x) => x.in === 'path')) {
    const value = override?.[0] === p.name ? override[1] : (real[p.name] ?? encode(String(fillValue(p.name, p.schema))));
    url = url.replace(`{${p.name}}`, value);
  }
  return url;
}

/** Raw (already URL-encoded) path segments that attack the router and the decoder, not just the value. */
const RAW_SEGMENTS = ['..', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F..%2F..%2Fetc%2Fpasswd', '%00', '%', '%E0%A4%A', `${'x'.repeat(5000)}`];

function pathCases(op: Operation, real: Record<string, string>): HostileCase[] {
  return op.params
    .filter((p) => p.in === 'path')
    .flatMap((p) => {
      const values = hostileValues(p.schema).filter((v) => typeof v === 'string' && v !== '') as string[];
      const encoded = [...values.map(encode), ...RAW_SEGMENTS, '-1', '0', '2147483647'];
      return encoded.map((segment) => ({ target: `path.${p.name}`, label: show(segment), url: fillPath(op, real, [p.name, segment]) }));
    });
}

function queryCases(op: Operation, real: Record<string, string>): HostileCase[] {
  const query = op.params.filter((p) => p.in === 'query');
  if (!query.length) return [];
  const base = fillPath(op, real);
  const cases = query.flatMap((p) => [
    ...hostileValues(p.schema).map((v) => ({
      target: `query.${p.name}`,
      label: show(v),
      url: `${base}?${p.name}=${encode(typeof v === 'string' ? v : JSON.stringify(v))}`,
    })),
    { target: `query.${p.name}`, label: 'repeated', url: `${base}?${p.name}=1&${p.name}=2` },
    { target: `query.${p.name}`, label: 'bad percent-encoding', url: `${base}?${p.name}=%E0%A4%A` },
  ]);
  cases.push({ target: 'query', label: 'unknown injected parameter', url: `${base}?q%27%3B--=%24(id)&__proto__[x]=1` });
  return cases;
}

function validBody(body: Schema): Record<string, unknown> {
  return Object.fromEntries((body.required ?? []).map((name) => [name, fillValue(name, body.properties?.[name] ?? {})]));
}

function bodyCases(op: Operation, url: string): HostileCase[] {
  const json = (target: string, label: string, value: unknown): HostileCase => ({
    target,
    label,
    url,
    payload: JSON.stringify(value),
    contentType: 'application/json',
  });
  const raw = (label: string, payload: string, contentType = 'application/json'): HostileCase => ({
    target: 'body',
    label,
    url,
    payload,
    contentType,
  });
  // A body sent to a POST that takes none must be ignored, whatever it holds.
  const deep = `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
  if (!op.body) return op.method === 'POST' ? [raw('deep JSON to a body-less operation', deep)] : [];
  const body = op.body;
  const cases: HostileCase[] = [
    raw('malformed JSON', '{"a":'),
    raw('deep nesting', deep),
    raw('deep objects', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`),
    raw('1e999', JSON.stringify(validBody(body)).replace(/^\{/, '{"n":1e999,')),
    raw('prototype pollution', '{"__proto__":{"platformRole":"admin"}}'),
    raw('over the body limit', JSON.stringify({ pad: 'x'.repeat(1_100_000) })),
    raw('form-encoded injection', "name=' OR 1=1--", 'application/x-www-form-urlencoded'),
    raw('text/plain', '$(id)', 'text/plain'),
    json('body', 'null', null),
    json('body', 'array', [validBody(body)]),
    json('body', 'string', "' OR 1=1--"),
    json('body', 'number', 42),
    json('body', 'empty object', {}),
    json(
      'body',
      'huge array',
      Array.from({ length: 200_000 }, () => 1),
    ),
  ];
  for (const [name, schema] of Object.entries(body.properties ?? {})) {
    const valid = validBody(body);
    if (body.required?.includes(name)) {
      const { [name]: _omitted, ...rest } = valid;
      cases.push(json(`body.${name}`, 'missing', rest));
    }
    for (const value of hostileValues(schema)) cases.push(json(`body.${name}`, show(value), { ...valid, [name]: value }));
  }
  return cases;
}

/** Every hostile case of an operation; `real` maps path parameters to ids that exist (a tenant, an instance). */
export function hostileCases(op: Operation, real: Record<string, string>): HostileCase[] {
  const url = fillPath(op, real);
  const withBody = op.method !== 'GET' && op.method !== 'DELETE';
  return [
    ...pathCases(op, real),
    ...queryCases(op, real),
    ...(withBody ? bodyCases(op, url) : []),
    { target: 'auth', label: 'forged bearer token', url, headers: { authorization: "Bearer ' OR 1=1--" } },
  ];
}

/** `count` cases spread over the list, a different slice for each `seed`: every role sees a varied handful. */
export function sample<T>(items: T[], count: number, seed: number): T[] {
  if (items.length <= count) return items;
  const stride = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * stride + ((seed * 7) % stride))] as T);
}
