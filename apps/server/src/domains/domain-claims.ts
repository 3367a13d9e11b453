import { AuditRepository } from '../audit/audit.repo.js';
import { UsersRepository } from '../auth/users.repo.js';
import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { DbOrTx } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { OutboxRepository } from '../mail/outbox.repo.js';
import type { EdgeJobDeps } from './domains.jobs.js';
import { type CustomDomainRow, DomainsRepository } from './domains.repo.js';
import { PENDING_CLAIM_TTL_HOURS } from './domains.schemas.js';

/**
 * Who owns a custom domain. Any tenant may claim a name; a claim does not block anyone until it is
 * verified. The first claim to pass verification takes the name (the partial unique index
 * custom_domains_verified_domain_key is the backstop) and the other tenants' unverified claims are
 * superseded. A verified claim keeps the name for as long as it lives, even if its DNS later moves:
 * overtaking a live domain on the strength of one check would let a DNS mistake or a race hand a
 * served domain to someone else. Unverified claims expire after PENDING_CLAIM_TTL_HOURS.
 */

export const EXPIRE_DOMAIN_CLAIMS_JOB = 'expire-domain-claims';
/** How often the worker looks for expired claims. */
export const EXPIRE_DOMAIN_CLAIMS_EVERY_MS = 3600_000;

/** The name lock: adding, claiming and superseding one name are serialized. */
export const lockDomainName = (tx: DbOrTx, domain: string) => lockForTransaction(tx, `domain-name:${domain}`);

const signature = '\n\n— The Odoo Cloud team';

/** Records what happened to a claim in its tenant's audit trail and tells the person who added it. */
async function notify(db: DbOrTx, row: CustomDomainRow, action: string, reason: string, subject: string, text: string) {
  await new AuditRepository(db).record({
    actorId: null,
    actorEmail: null,
    tenantId: row.tenantId,
    action,
    targetType: 'custom_domain',
    targetId: row.id,
    ip: null,
    result: 'success',
    requestId: null,
    details: { domain: row.domain, instanceId: row.instanceId, reason },
  });
  const creator = row.createdBy ? await new UsersRepository(db).findById(row.createdBy) : undefined;
  // Delivered by the worker's outbox sweep.
  if (creator) await new OutboxRepository(db).add({ to: creator.email, subject, text: `${text}${signature}`, links: [] });
}

export type ClaimOutcome = 'claimed' | 'taken' | 'gone';

/**
 * After a successful check: marks the claim verified (and `issuing` in TLS mode) unless another
 * claim holds the name, and supersedes the other tenants' unverified claims.
 */
export async function takeClaim(deps: Pick<EdgeJobDeps, 'database' | 'config'>, domain: CustomDomainRow): Promise<ClaimOutcome> {
  const now = new Date();
  try {
    return await deps.database.db.transaction(async (tx) => {
      await lockDomainName(tx, domain.domain);
      const repo = new DomainsRepository(tx);
      if (await repo.verifiedClaim(domain.domain, domain.id)) return 'taken';
      const claimed = await repo.transition(domain.id, ['verifying'], deps.config.edge.tls ? 'issuing' : 'verifying', {
        verifiedAt: now,
        lastCheckedAt: now,
      });
      if (!claimed) return 'gone';
      for (const other of await repo.removeUnverifiedClaims(domain.domain, domain.id)) {
        await notify(
          tx,
          other,
          'domain.supersede',
          'Another account proved control of this domain first.',
          `Custom domain ${other.domain} was removed`,
          `Another account on this platform proved control of ${other.domain} (its DNS points at this platform and its check passed) before yours was verified, so your pending claim on it was removed.\n\nIf the domain is yours, check who can change its DNS records.`,
        );
      }
      return 'claimed';
    });
  } catch (error) {
    // Only if a claim slipped past the name lock: the index keeps one verified claim per name.
    if (isUniqueViolation(error)) return 'taken';
    throw error;
  }
}

/**
 * Releases the claims that did not become active within PENDING_CLAIM_TTL_HOURS of being added
 * (the worker's maintenance runs it hourly), and the certificates a failed one may have left.
 */
export async function expireDomainClaims(deps: Pick<EdgeJobDeps, 'database' | 'issuer'>, now = new Date()): Promise<{ expired: string[] }> {
  const before = new Date(now.getTime() - PENDING_CLAIM_TTL_HOURS * 3600_000);
  const removed = await deps.database.db.transaction(async (tx) => {
    const rows = await new DomainsRepository(tx).removeStaleClaims(before);
    for (const row of rows) {
      await notify(
        tx,
        row,
        'domain.expire',
        `Not verified within ${PENDING_CLAIM_TTL_HOURS} hours.`,
        `Custom domain ${row.domain} expired`,
        `${row.domain} was added to one of your instances but was not verified within ${PENDING_CLAIM_TTL_HOURS} hours, so the claim was released.\n\nTo use it, add it again, create the DNS record shown and verify it.`,
      );
    }
    return rows;
  });
  // A claim that failed after its certificate was issued leaves it behind.
  for (const row of removed) if (row.verifiedAt) await dropCertificateIfUnclaimed(deps, row.domain);
  return { expired: removed.map((r) => r.domain) };
}

/** Removes a name's certificate unless a verified claim (possibly another tenant's) still uses it. */
export async function dropCertificateIfUnclaimed(deps: Pick<EdgeJobDeps, 'database' | 'issuer'>, domain: string): Promise<boolean> {
  if (await new DomainsRepository(deps.database.db).verifiedClaim(domain)) return false;
  await deps.issuer().remove(domain);
  await new CertificatesRepository(deps.database.db).remove(domain);
  return true;
}
