import { BlockList, isIPv4 } from 'node:net';

const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/** An IPv4 CIDR's address and prefix length, or null when it is not one. */
export function parseCidr(cidr: string): { address: string; prefix: number } | null {
  const match = CIDR.exec(cidr);
  if (!match?.[1] || !isIPv4(match[1])) return null;
  const prefix = Number(match[2]);
  return prefix <= 32 ? { address: match[1], prefix } : null;
}

function contains(cidr: { address: string; prefix: number }, address: string): boolean {
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, 'ipv4');
  return list.check(address, 'ipv4');
}

/** CIDR blocks are either nested or disjoint: two overlap when one holds the other's address. */
export function subnetsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  return contains(x, y.address) || contains(y, x.address);
}

/** True when the address is the block's first one (10.213.0.0/16, not 10.213.5.0/16). */
export function isNetworkAddress(cidr: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed) return false;
  const octets = parsed.address.split('.').map(Number);
  const value = ((octets[0] ?? 0) * 2 ** 24 + (octets[1] ?? 0) * 2 ** 16 + (octets[2] ?? 0) * 2 ** 8 + (octets[3] ?? 0)) >>> 0;
  const hostBits = 32 - parsed.prefix;
  return hostBits === 32 ? value === 0 : value % 2 ** hostBits === 0;
}
