import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the server package and the repository are on disk. This module sits at the top of src/, as the
 * built entry points sit at the top of dist/ (build.mjs bundles each into one file), so the same
 * relative path holds from source (tests, tsx) and from the build.
 */
export const SERVER_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

/** The server package's version: each worker shows it, and the platform's images are tagged with it. */
export function serverVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(SERVER_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
