import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Database } from '../db/client.js';
import { AcmeError, type AcmeIssuer } from '../edge/acme-issuer.js';
import { applyInstanceRoute, type InstanceEdgeDeps } from '../instances/instance-edge.js';
import { withInstanceLock } from '../instances/instance-locks.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import { dropCertificateIfUnclaimed, takeClaim } from './domain-claims.js';
import { DomainCheckError, probeDomain } from './domain-probe.js';
import { type CustomDomainRow, DomainsRepository } from './domains.repo.js';
import type { DomainRemovedJob } from './domains.service.js';

/** What the worker's domain and certificate jobs use. */
export interface EdgeJobDeps extends InstanceEdgeDeps {
  database: Database;
  /** The ACME issuer (created on first use: it reads the CA bundle). */
  issuer: () => AcmeIssuer;
}

/**
 * Re-applies the instance's route under its lock, reading the instance now (an operation that
 * stops or deletes it at the same time is not overtaken). Returns the edge's refusal, if any.
 */
export async function reapplyRoute(deps: EdgeJobDeps, instanceId: string, extraHosts: string[] = []): Promise<Error | null> {
  return withInstanceLock(deps.database.pool, instanceId, async () => {
    const instance = await new InstancesRepository(deps.database.db).findById(instanceId);
    if (!instance || instance.status === 'deleted' || instance.status === 'deleting') return null;
    return applyInstanceRoute(deps, instance, undefined, extraHosts);
  });
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Verifies a domain: the edge publishes the token (on every host) and it is fetched through the domain
 * (guarded: see domain-probe.ts). Then, in TLS mode, its certificate is issued over HTTP-01; then
 * the instance's route is re-applied with the domain. Every failure ends `failed` with its cause.
 */
export async function verifyDomain(deps: EdgeJobDeps, domainId: string): Promise<string> {
  const repo = new DomainsRepository(deps.database.db);
  const domain = await repo.findById(domainId);
  if (domain?.status !== 'verifying') return `skipped (${domain?.status ?? 'gone'})`;
  const fail = async (message: string, from: CustomDomainRow['status']) => {
    await repo.transition(domainId, [from], 'failed', { lastError: message, lastCheckedAt: new Date() });
    deps.log.warn({ domainId, domain: domain.domain, err: message }, 'custom domain failed');
    return 'failed';
  };

  const token = domain.verificationToken;
  try {
    await deps.edge.publishChallenge('domain-check', token, token);
    await probeDomain(domain.domain, token, {
      port: deps.config.domains.verifyPort,
      allowLoopback: deps.config.domains.allowLoopback,
      dnsServer: deps.config.domains.dnsServer,
    });
  } catch (error) {
    // The check's own explanation, or what went wrong around it: either way the tenant sees it and may verify again.
    return fail(error instanceof DomainCheckError ? error.message : `The check could not run: ${describeError(error)}`, 'verifying');
  } finally {
    await deps.edge.withdrawChallenge('domain-check', token);
  }

  const now = new Date();
  // The check passed: the name is this claim's unless another claim verified it first.
  const claim = await takeClaim(deps, domain);
  if (claim === 'gone') return 'superseded';
  if (claim === 'taken') {
    return fail('Another account on this platform verified this domain first and serves it; it cannot be added here.', 'verifying');
  }
  if (deps.config.edge.tls) {
    try {
      const cert = await deps.issuer().issue(domain.domain, [domain.domain]);
      await new CertificatesRepository(deps.database.db).saveIssued(cert, { kind: 'custom_domain', domainId });
    } catch (error) {
      const cause =
        error instanceof AcmeError ? `The certificate authority refused the certificate: ${error.message}` : describeError(error);
      return fail(cause, 'issuing');
    }
  }
  // Served first, then marked active: `active` means the edge routes it.
  const refused = await reapplyRoute(deps, domain.instanceId, [domain.domain]);
  if (refused) return fail(describeError(refused), deps.config.edge.tls ? 'issuing' : 'verifying');
  const active = await repo.transition(domainId, deps.config.edge.tls ? ['issuing'] : ['verifying'], 'active', {
    activatedAt: new Date(),
    lastError: null,
    lastCheckedAt: now,
  });
  if (!active) {
    // Removed meanwhile: route it no longer, and drop the certificate just issued.
    await domainRemoved(deps, { instanceId: domain.instanceId, domain: domain.domain });
    return 'superseded';
  }
  deps.log.info({ domainId, domain: domain.domain, instanceId: domain.instanceId }, 'custom domain active');
  return 'active';
}

/** After a domain was removed: the route without it, and its certificate gone (unless a verified claim took the name again). */
export async function domainRemoved(deps: EdgeJobDeps, job: DomainRemovedJob): Promise<string> {
  await reapplyRoute(deps, job.instanceId);
  if (!(await dropCertificateIfUnclaimed(deps, job.domain))) return 'route re-applied (name in use again: certificate kept)';
  return 'removed';
}

/** Before an instance is deleted: its domains and their certificates go (the delete workflow removes the route). */
export async function removeInstanceDomains(deps: Pick<EdgeJobDeps, 'database' | 'issuer'>, instanceId: string) {
  const removed = await new DomainsRepository(deps.database.db).removeForInstance(instanceId);
  // Another tenant's verified claim on the same name keeps its certificate.
  for (const row of removed) await dropCertificateIfUnclaimed(deps, row.domain);
}
