import type { Config } from '../config/config.js';
import { EdgeInputError } from './edge-names.js';
import { EdgeConfigError } from './edge-router.js';
import { edgeSettingsFromConfig } from './edge-settings.js';
import { NginxEdgeRouter } from './nginx-edge-router.js';

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
    const router = new NginxEdgeRouter({ settings, baseDomain: config.instanceDomain, log: stderrLog });
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

/**
 * `cli.js edge-cert [--force]` (TLS mode): obtains the certificates of the platform's own hosts
 * (PUBLIC_URL's and ADMIN_URL's) through ACME HTTP-01 on the running edge, records them for the
 * renewal job, and re-renders the edge so they are served. A host whose certificate has more than
 * 30 days left is skipped unless --force. Prints one JSON line; the CA's own error on failure.
 */
export async function edgeCertCommand(config: Config, args: string[]): Promise<number> {
  if (!config.edge.tls) {
    process.stderr.write('edge-cert: TLS mode is off (PUBLIC_URL is not https://): nothing to certify\n');
    return 1;
  }
  const { createDatabase } = await import('../db/client.js');
  const { CertificatesRepository } = await import('../certificates/certificates.repo.js');
  const { createAcmeIssuer } = await import('./create-edge-router.js');
  const { AcmeError } = await import('./acme-issuer.js');
  const stderrLog = { info() {}, warn: (_obj: object, msg: string) => process.stderr.write(`edge: ${msg}\n`) };
  const settings = edgeSettingsFromConfig(config);
  const router = new NginxEdgeRouter({ settings, baseDomain: config.instanceDomain, log: stderrLog });
  const issuer = createAcmeIssuer(config, router);
  const database = createDatabase(config.databaseUrl, 1);
  const force = args.includes('--force');
  const results: { host: string; result: string; notAfter?: string }[] = [];
  let failed = false;
  try {
    for (const host of [...new Set([settings.publicHost, settings.adminHost])]) {
      const current = await issuer.current(host);
      if (!force && current && current.notAfter.getTime() - Date.now() > 30 * 86_400_000) {
        results.push({ host, result: 'kept', notAfter: current.notAfter.toISOString() });
        continue;
      }
      try {
        const cert = await issuer.issue(host, [host]);
        await new CertificatesRepository(database.db).saveIssued(cert, { kind: 'platform' });
        results.push({ host, result: 'issued', notAfter: cert.notAfter.toISOString() });
      } catch (error) {
        if (!(error instanceof AcmeError)) throw error;
        failed = true;
        results.push({ host, result: `failed: ${error.message}` });
      }
    }
    const applied = await router.applyPlatform();
    process.stdout.write(`${JSON.stringify({ certificates: results, ...applied })}\n`);
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof EdgeInputError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}
