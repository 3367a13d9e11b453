// The server's build: each entry point (the API, the worker, the CLI) bundled into one file of dist/ with
// esbuild, our code and drizzle-orm inlined, every other package loaded from node_modules. One file per
// entry point starts in a fraction of the time of hundreds of modules: drizzle-orm alone is some 450
// files, each resolution re-reading its 180 KB package.json (~1.4 s of a 3 s start before). The API's
// start-up is its outage after a crash. Types are checked by `npm run typecheck` (tsc -b), not here.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const INLINED = new Set(['drizzle-orm']);
const external = Object.keys(pkg.dependencies)
  .filter((name) => !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/main-api.ts', 'src/main-worker.ts', 'src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
