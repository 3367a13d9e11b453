import { lookup, Resolver } from 'node:dns/promises';
import http from 'node:http';
import { BlockList, isIP } from 'node:net';
import { challengePath } from '../edge/edge-router.js';

/**
 * The HTTP check of a custom domain: fetches `http://<domain>/.well-known/odoo-saas/<token>` and
 * expects the token back, which proves the name reaches this platform's edge. It is a request to
 * an address the tenant chooses, so it is guarded against SSRF: the name is resolved once and the
 * request goes to that address (no second lookup to rebind), private and reserved addresses are
 * refused (loopback only with an explicit test/local setting), only the configured port (80),
 * no redirects, a 5 s deadline and a small body cap.
 */

export interface ProbeOptions {
  port: number;
  allowLoopback: boolean;
  /** `ip[:port]` of a DNS server to ask instead of the system resolver (tests: pebble's challtestsrv). */
  dnsServer?: string | undefined;
  timeoutMs?: number;
  maxBodyBytes?: number;
}

/** Why a domain does not pass the check, in words a tenant can act on. */
export class DomainCheckError extends Error {
  readonly code = 'domain_check_failed';
  constructor(message: string) {
    super(message);
    this.name = 'DomainCheckError';
  }
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it maps. */
const unmapped = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

export function addressProblem(raw: string, allowLoopback: boolean): string | null {
  const address = unmapped(raw);
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (loopback.check(address, family)) return allowLoopback ? null : 'a loopback address';
  if (blocked.check(address, family)) return 'a private or reserved address';
  return null;
}

async function resolve(domain: string, dnsServer: string | undefined): Promise<string[]> {
  try {
    if (!dnsServer) return (await lookup(domain, { all: true, verbatim: true })).map((a) => a.address);
    const resolver = new Resolver({ timeout: 3_000, tries: 2 });
    resolver.setServers([dnsServer]);
    const [v4, v6] = await Promise.all([resolver.resolve4(domain).catch(() => []), resolver.resolve6(domain).catch(() => [])]);
    const all = [...v4, ...v6];
    if (all.length === 0) throw Object.assign(new Error(`queryA ENOTFOUND ${domain}`), { code: 'ENOTFOUND' });
    return all;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw new DomainCheckError(
        `${domain} has no A or AAAA record yet (DNS answered ${code}). Create the record shown, then verify again.`,
      );
    }
    throw new DomainCheckError(`${domain} could not be resolved: ${(error as Error).message}`);
  }
}

/** Resolves, guards and fetches; resolves when the token comes back, else throws DomainCheckError. */
export async function probeDomain(domain: string, token: string, options: ProbeOptions): Promise<void> {
  const addresses = await resolve(domain, options.dnsServer);
  for (const address of addresses) {
    const problem = addressProblem(address, options.allowLoopback);
    if (problem) throw new DomainCheckError(`${domain} resolves to ${address}, ${problem}: it must point at this platform.`);
  }
  // IPv4 first: the platform's documented record is an A record (or a CNAME to its subdomain).
  const address = addresses.find((a) => isIP(a) === 4) ?? addresses[0] ?? '';
  const path = challengePath('domain-check', token);
  const url = `http://${domain}${options.port === 80 ? '' : `:${options.port}`}${path}`;
  const result = await fetchPinned(address, domain, options.port, path, options.timeoutMs ?? 5_000, options.maxBodyBytes ?? 4096).catch(
    (error: Error) => {
      throw new DomainCheckError(`GET ${url} (at ${address}) failed: ${error.message}`);
    },
  );
  if (result.status !== 200) {
    const where = result.location ? ` (redirect to ${result.location}, not followed)` : '';
    throw new DomainCheckError(
      `GET ${url} (at ${address}) answered HTTP ${result.status}${where}: the domain does not reach this platform. Check its DNS record.`,
    );
  }
  if (result.body.trim() !== token) {
    throw new DomainCheckError(`GET ${url} (at ${address}) answered, but not with this platform's token: the domain points elsewhere.`);
  }
}

function fetchPinned(
  address: string,
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ status: number; body: string; location?: string | undefined }> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const req = http.request(
      {
        host: address,
        port,
        path,
        method: 'GET',
        headers: { host: port === 80 ? host : `${host}:${port}`, 'user-agent': 'odoo-saas-domain-check', accept: 'text/plain' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            clearTimeout(deadline);
            resolve({ status: res.statusCode ?? 0, body: '', location: undefined });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location });
        });
        res.on('error', (error) => {
          clearTimeout(deadline);
          reject(error);
        });
      },
    );
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    req.end();
  });
}
