/**
 * Validation of every value that reaches an nginx config file. Values are checked against strict
 * grammars (DNS names, numeric ports, plain absolute paths) instead of being escaped: what passes
 * cannot contain whitespace, quotes, `;`, `{`, `}`, `$` or `#`, so it cannot leave its directive.
 */

export class EdgeInputError extends Error {
  readonly code = 'edge_input_invalid';
  constructor(
    public readonly field: string,
    public readonly value: string,
    message: string,
  ) {
    super(`${field}: ${message} (got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)})`);
    this.name = 'EdgeInputError';
  }
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** True for a lower-case DNS host name (RFC 1123 labels, at most 253 characters). No wildcards, no IP literals. */
export function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  // An all-numeric last label would make it look like an IPv4 address.
  return !/^[0-9]+$/.test(labels[labels.length - 1] ?? '');
}

/** Lower-cases and checks a host name; throws EdgeInputError otherwise. */
export function normalizeHostname(value: string, field = 'host'): string {
  const host = value.trim().toLowerCase().replace(/\.$/, '');
  if (!isHostname(host)) throw new EdgeInputError(field, value, 'is not a valid DNS host name');
  return host;
}

/** A single DNS label, e.g. an instance slug. */
export function assertLabel(value: string, field = 'slug'): string {
  if (!LABEL.test(value)) throw new EdgeInputError(field, value, 'must be a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)');
  return value;
}

/** Instance ids name files and upstream blocks: UUID-like, nothing else. */
export function assertInstanceId(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(value)) {
    throw new EdgeInputError('instanceId', value, 'must contain only letters, digits and hyphens');
  }
  return value;
}

export function assertPort(value: number, field = 'port'): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new EdgeInputError(field, String(value), 'must be a TCP port');
  return value;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

/**
 * `address:port` of an upstream. IP literals are preferred (instances publish their ports on
 * loopback, so nothing needs resolving); a host name is accepted but nginx resolves it only at load.
 */
export function assertUpstreamAddress(value: string, field = 'upstream'): string {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? '';
  const ok = match && (isIpv4(host) || /^\[[0-9a-fA-F:]+\]$/.test(host) || isHostname(host) || host === 'localhost');
  if (!ok) throw new EdgeInputError(field, value, 'must be address:port');
  assertPort(Number(match[2]), field);
  return value;
}

/** Listen address: empty (all addresses) or an IPv4 literal. */
export function assertListenAddress(value: string): string {
  if (value !== '' && !isIpv4(value)) throw new EdgeInputError('listenAddress', value, 'must be empty or an IPv4 address');
  return value;
}

/** Absolute paths written into quoted directives. */
export function assertPath(value: string, field = 'path'): string {
  if (!/^\/[A-Za-z0-9_./+@-]*$/.test(value) || value.includes('/../')) {
    throw new EdgeInputError(field, value, 'must be an absolute path of letters, digits and _./+@-');
  }
  return value;
}

/** ACME HTTP-01 tokens become file names in the webroot: base64url only. */
export function assertToken(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(value)) throw new EdgeInputError('token', value, 'must be base64url');
  return value;
}

/** Name of a certificate directory under `<edge dir>/certs/`: a host name, or `_wildcard.<host>`. */
export function assertCertName(value: string): string {
  const bare = value.startsWith('_wildcard.') ? value.slice('_wildcard.'.length) : value;
  if (!isHostname(bare)) throw new EdgeInputError('certificate name', value, 'must be a host name or _wildcard.<host name>');
  return value;
}

/**
 * Quotes text for nginx (`return 503 "..."`). nginx expands `$name` inside strings and has no
 * escape for `$`, so text with `$` is refused rather than silently interpolated.
 */
export function nginxString(text: string): string {
  if (text.includes('$')) throw new EdgeInputError('text', text, 'must not contain "$" (nginx would expand it)');
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
