import type { Config } from '../config/config.js';
import { EdgeInputError } from './edge-names.js';
import { edgeSettingsFromConfig } from './edge-settings.js';
import { EdgeConfigError, NginxEdgeRouter } from './nginx-edge-router.js';

/**
 * `cli.js edge-render`: renders the edge's main config and platform snippets from the configuration,
 * validates the whole tree with nginx -t, swaps it in and reloads nginx when it runs. Instance files
 * are left as they are (the API rewrites them from the database at start-up). Prints one JSON line
 * with the edge directory, so scripts/lib/nginx.sh can start nginx on it.
 */
export async function edgeRenderCommand(config: Config): Promise<number> {
  const stderrLog = { info() {}, warn: (_obj: object, msg: string) => process.stderr.write(`edge: ${msg}\n`) };
  try {
    const settings = edgeSettingsFromConfig(config);
    const router = new NginxEdgeRouter({ settings, baseDomain: config.baseDomain, log: stderrLog });
    const result = await router.applyPlatform();
    process.stdout.write(`${JSON.stringify({ dir: router.paths.dir, conf: router.paths.mainConf, ...result })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof EdgeInputError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
