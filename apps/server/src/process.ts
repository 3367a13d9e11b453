import { ConfigError } from './config/config.js';

/** Start-up stops on a bad setting, naming it, rather than running half-configured. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nSee docs/configuration.md for every setting.\n`);
    process.exit(78);
  }
  throw err;
}
