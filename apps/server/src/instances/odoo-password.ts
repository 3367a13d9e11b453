import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Odoo 17+ hashes with passlib's pbkdf2_sha512 at 600,000 rounds. */
export const ODOO_PBKDF2_ROUNDS = 600_000;

// passlib's "adapted base64": standard alphabet with '.' for '+', no padding.
const ab64Encode = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '').replaceAll('+', '.');
const ab64Decode = (text: string) => Buffer.from(text.replaceAll('.', '+'), 'base64');

/** A password hash in the format Odoo stores in res_users.password and accepts for admin_passwd. */
export async function odooPasswordHash(password: string, rounds = ODOO_PBKDF2_ROUNDS, salt: Buffer = randomBytes(16)): Promise<string> {
  const key = await pbkdf2Async(password, salt, rounds, 64, 'sha512');
  return `$pbkdf2-sha512$${rounds}$${ab64Encode(salt)}$${ab64Encode(key)}`;
}

export async function verifyOdooPasswordHash(hash: string, password: string): Promise<boolean> {
  const match = /^\$pbkdf2-sha512\$(\d+)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/.exec(hash);
  if (!match) return false;
  const [, rounds, salt, checksum] = match as unknown as [string, string, string, string];
  const expected = ab64Decode(checksum);
  const actual = await pbkdf2Async(password, ab64Decode(salt), Number(rounds), expected.length, 'sha512');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
