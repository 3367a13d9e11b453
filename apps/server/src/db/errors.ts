/**
 * A PostgreSQL unique violation (SQLSTATE 23505), optionally of one constraint. Drizzle wraps the
 * driver's error, so the code may sit on the error or on its cause.
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pgError = ((err as { cause?: unknown })?.cause ?? err) as { code?: string; constraint?: string } | undefined;
  const direct = err as { code?: string; constraint?: string } | undefined;
  const hit = [pgError, direct].find((e) => e?.code === '23505');
  return Boolean(hit) && (constraint === undefined || hit?.constraint === constraint);
}
