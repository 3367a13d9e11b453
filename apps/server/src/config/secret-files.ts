import { readFileSync } from 'node:fs';

/**
 * Docker secrets arrive as files (`/run/secrets/<name>`), not variables: `<NAME>_FILE=<path>` stands for
 * `<NAME>=<the file's content>` for every variable the schema knows, as the official PostgreSQL image does.
 * The file's last line break is dropped (editors and `echo` add one). Setting both is a mistake, not a
 * precedence rule, and a file that cannot be read stops the start-up: either would start the platform
 * with a secret other than the one meant.
 */
export function resolveSecretFiles(
  source: Record<string, string | undefined>,
  known: readonly string[],
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { env: Record<string, string | undefined>; problems: string[] } {
  const env = { ...source };
  const problems: string[] = [];
  for (const name of known) {
    const path = source[`${name}_FILE`];
    if (!path) continue;
    if (source[name]) {
      problems.push(`${name}: set both ${name} and ${name}_FILE; keep one`);
      continue;
    }
    try {
      env[name] = read(path).replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    delete env[`${name}_FILE`];
  }
  return { env, problems };
}
