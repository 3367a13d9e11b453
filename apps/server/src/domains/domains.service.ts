import { randomBytes } from 'node:crypto';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { lockForTransaction } from '../db/transaction-lock.js';
import { conflict, fieldInvalid, notFound, paymentRequired } from '../errors/domain-error.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import { lockDomainName } from './domain-claims.js';
import { type DomainDto, toDomainDto } from './domain-dto.js';
import { type CustomDomainRow, DomainsRepository } from './domains.repo.js';
import { domainProblem, MAX_DOMAINS_PER_INSTANCE, normalizeDomain } from './domains.schemas.js';

export const VERIFY_DOMAIN_JOB = 'verify-domain';
export const DOMAIN_REMOVED_JOB = 'domain-removed';

export interface DomainRemovedJob {
  instanceId: string;
  domain: string;
}

/** A verification left `verifying` this long lost its job (e.g. Redis was flushed): it may be asked again. */
const STUCK_AFTER_MS = 10 * 60_000;

/** Custom domains of instances: the rules. Verification, certificates and routing run in the worker (domains.jobs.ts). */
export class DomainsService {
  constructor(private readonly deps: { db: Db; config: Config; queues: Queues }) {}

  private get repo() {
    return new DomainsRepository(this.deps.db);
  }

  private async liveInstance(instanceId: string) {
    const instance = await new InstancesRepository(this.deps.db).findById(instanceId);
    if (!instance || instance.status === 'deleted') throw notFound('Instance');
    return instance;
  }

  list(instanceId: string) {
    return this.repo.listForInstance(instanceId);
  }

  async get(instanceId: string, domainId: string): Promise<CustomDomainRow> {
    const row = await this.repo.findForInstance(instanceId, domainId);
    if (!row) throw notFound('Domain');
    return row;
  }

  async add(instanceId: string, actor: AuthenticatedUser, input: { domain: string }): Promise<CustomDomainRow> {
    const domain = normalizeDomain(input.domain);
    const problem = domainProblem(domain, this.deps.config);
    if (problem) throw fieldInvalid('domain', problem.code, problem.message);
    const instance = await this.liveInstance(instanceId);
    if (instance.status === 'deleting') throw conflict('instance_deleting', 'This instance is being deleted.');
    const plan = await new InstancesRepository(this.deps.db).planOf(instance.tenantId);
    if (plan && !plan.customDomains) {
      throw paymentRequired(
        'plan_feature_missing',
        'Your plan does not include custom domains. Choose a plan that does on the billing page.',
      );
    }
    try {
      return await this.deps.db.transaction(async (tx) => {
        // The per-instance limit is counted under a lock on the instance, so parallel requests cannot pass it together.
        await lockForTransaction(tx, `domains:${instanceId}`);
        await lockDomainName(tx, domain);
        const repo = new DomainsRepository(tx);
        // Pending claims of other tenants do not block (the first to verify wins); a verified one does.
        const claims = await repo.claimsOn(domain);
        if (claims.some((c) => c.tenantId === instance.tenantId)) throw takenHere();
        if (await repo.verifiedClaim(domain)) throw taken();
        if ((await repo.countForInstance(instanceId)) >= MAX_DOMAINS_PER_INSTANCE) {
          throw conflict('domain_limit_reached', `An instance can have at most ${MAX_DOMAINS_PER_INSTANCE} custom domains.`);
        }
        return repo.insert({
          instanceId,
          tenantId: instance.tenantId,
          domain,
          verificationToken: randomBytes(24).toString('base64url'),
          createdBy: actor.userId,
        });
      });
    } catch (error) {
      // The tenant added the name on another instance between the check and the insert.
      if (isUniqueViolation(error)) throw takenHere();
      throw error;
    }
  }

  /** Queues the ownership check (and, in TLS mode, the certificate). */
  async verify(instanceId: string, domainId: string): Promise<CustomDomainRow> {
    const current = await this.get(instanceId, domainId);
    if (current.status === 'active') throw conflict('domain_active', 'This domain is verified and served already.');
    if (await this.repo.verifiedClaim(current.domain, current.id)) throw taken();
    const stuck = current.status === 'verifying' && Date.now() - current.updatedAt.getTime() > STUCK_AFTER_MS;
    if ((current.status === 'verifying' || current.status === 'issuing') && !stuck) return current;
    const from = stuck ? (['verifying'] as const) : (['pending_dns', 'failed'] as const);
    // verifiedAt is set again only when this check passes: until then the claim holds nothing.
    const moved = await this.repo.transition(domainId, [...from], 'verifying', { lastError: null, verifiedAt: null });
    if (!moved) return this.get(instanceId, domainId);
    await this.deps.queues.maintenance.add(
      VERIFY_DOMAIN_JOB,
      { domainId },
      { jobId: `${VERIFY_DOMAIN_JOB}-${domainId}-${Date.now()}`, attempts: 3, backoff: { type: 'exponential', delay: 2000 } },
    );
    return moved;
  }

  /** Stops routing the domain and removes its certificate (the worker re-applies the route). */
  async remove(instanceId: string, domainId: string): Promise<CustomDomainRow> {
    const removed = await this.repo.remove((await this.get(instanceId, domainId)).id);
    if (!removed) throw notFound('Domain');
    const job: DomainRemovedJob = { instanceId, domain: removed.domain };
    await this.deps.queues.maintenance.add(DOMAIN_REMOVED_JOB, job, {
      jobId: `${DOMAIN_REMOVED_JOB}-${removed.id}`,
      attempts: 8,
      backoff: { type: 'exponential', delay: 2000 },
    });
    return removed;
  }

  /** The domains of one instance as the API shows them. */
  async describe(instanceId: string, rows: CustomDomainRow[]): Promise<DomainDto[]> {
    const [instance, certificates] = await Promise.all([
      new InstancesRepository(this.deps.db).findById(instanceId),
      new CertificatesRepository(this.deps.db).byNames(rows.map((r) => r.domain)),
    ]);
    const expiry = new Map(certificates.map((c) => [c.name, c.notAfter]));
    return rows.map((row) => toDomainDto(this.deps.config, instance?.slug ?? '', row, expiry.get(row.domain)));
  }
}

const taken = () => conflict('domain_taken', 'This domain is already used by an instance on this platform.');
const takenHere = () => conflict('domain_taken', 'This domain is already added to one of your instances.');
