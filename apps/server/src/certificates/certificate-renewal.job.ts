import { CertificatesRepository } from '../certificates/certificates.repo.js';
import { type EdgeJobDeps, reapplyRoute } from '../domains/domains.jobs.js';
import { DomainsRepository } from '../domains/domains.repo.js';
import { AcmeError } from '../edge/acme-issuer.js';
import { syncInstanceRoutes } from '../instances/instance-edge.js';

export const RENEW_CERTIFICATES_JOB = 'renew-certificates';
/** Renew this long before expiry: Let's Encrypt's 90-day certificates get several retries. */
export const RENEW_BEFORE_DAYS = 30;

export interface RenewalResult {
  renewed: string[];
  failed: { name: string; error: string }[];
}

/**
 * Renews every certificate expiring within `renewBeforeDays` (a new order and key under the same
 * name), then re-applies what serves it: the custom domain's instance route, or every route and the
 * platform files for a platform host. A failure is recorded on the certificate with the CA's words;
 * the old certificate keeps serving until it expires.
 */
export async function renewCertificates(deps: EdgeJobDeps, options: { renewBeforeDays?: number } = {}): Promise<RenewalResult> {
  const repo = new CertificatesRepository(deps.database.db);
  const before = new Date(Date.now() + (options.renewBeforeDays ?? RENEW_BEFORE_DAYS) * 86_400_000);
  const result: RenewalResult = { renewed: [], failed: [] };
  let platformChanged = false;
  for (const cert of await repo.expiringBefore(before)) {
    try {
      const issued = await deps.issuer().issue(cert.name, cert.domains);
      await repo.saveIssued(issued, { kind: cert.kind, domainId: cert.domainId });
      result.renewed.push(cert.name);
      if (cert.kind === 'platform') platformChanged = true;
      else {
        const domain = cert.domainId ? await new DomainsRepository(deps.database.db).findById(cert.domainId) : null;
        if (domain) await reapplyRoute(deps, domain.instanceId);
      }
    } catch (error) {
      const message = error instanceof AcmeError ? `The certificate authority refused the renewal: ${error.message}` : String(error);
      await repo.markFailed(cert.name, message);
      result.failed.push({ name: cert.name, error: message });
      deps.log.error({ certificate: cert.name, err: message }, 'certificate renewal failed');
    }
  }
  if (platformChanged) await syncInstanceRoutes(deps);
  if (result.renewed.length || result.failed.length) deps.log.info(result, 'certificate renewal done');
  return result;
}
