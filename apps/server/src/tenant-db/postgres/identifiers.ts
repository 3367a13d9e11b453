import pg from 'pg';

/**
 * Quotes a platform-generated identifier. Anything outside the platform's own naming is refused, so a name
 * that slipped in from elsewhere fails loudly instead of reaching SQL.
 */
export function ident(name: string) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`refusing unexpected identifier ${JSON.stringify(name)}`);
  return pg.escapeIdentifier(name);
}
