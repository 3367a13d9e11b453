import { fileURLToPath } from 'node:url';

/**
 * Where the server package and the repository are on disk. This module sits at the top of src/, as the
 * built entry points sit at the top of dist/ (build.mjs bundles each into one file), so the same
 * relative path holds from source (tests, tsx) and from the build.
 */
export const SERVER_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
