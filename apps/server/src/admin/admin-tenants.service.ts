import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { BillingProvider } from '../billing/billing-provider.js';
import { enforceTenant } from '../billing/enforcement.js';
import { evaluateAccess } from '../billing/entitlements.js';
import { InvoicesRepository, toInvoiceDto } from '../billing/invoices.repo.js';
import { mailOwners } from '../billing/owner-mail.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, notFound } from '../errors/domain-error.js';
import { toInstanceDto } from '../instances/instance-dto.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import type { MailService } from '../mail/mail.service.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import { AdminTenantsRepository, type TenantListQuery } from './admin-tenants.repo.js';
import { deleteTenant, type TenantDeletionRequest } from './tenant-deletion.js';
import { operatorMail } from './tenant-operator-mail.js';

export interface AdminTenantsDeps {
  db: Db;
  config: Config;
  queues: Queues;
  mail: MailService;
  redis: Redis;
  log: FastifyBaseLogger;
  /** Stripe when configured (a deleted tenant's subscription is canceled there); null is the manual provider. */
  billingProvider: BillingProvider | null;
}

/** Operators' view of tenants and their actions on one: the detail page, suspension, resumption and deletion. */
export class AdminTenantsService {
  constructor(private readonly deps: AdminTenantsDeps) {}

  private get repo() {
    return new AdminTenantsRepository(this.deps.db);
  }

  async list(query: TenantListQuery) {
    const { rows, total } = await this.repo.list(query);
    return {
      items: rows.map((t) => ({
        id: t.id,
        name: t.name,
        planCode: t.planCode,
        createdAt: t.createdAt.toISOString(),
        memberCount: Number(t.memberCount),
        owner: t.ownerId && t.ownerEmail ? { id: t.ownerId, email: t.ownerEmail } : null,
        billing:
          t.billingProvider && t.billingStatus && t.billingAccess
            ? { provider: t.billingProvider, status: t.billingStatus, access: t.billingAccess }
            : null,
        operatorSuspendedAt: t.operatorSuspendedAt?.toISOString() ?? null,
        deletedAt: t.deletedAt?.toISOString() ?? null,
      })),
      total,
    };
  }

  /** One tenant with its members, instances, subscription and recent invoices (the audit log is paged apart). */
  async detail(tenantId: string) {
    const { db, config } = this.deps;
    const tenants = new TenantsRepository(db);
    const tenant = await tenants.findById(tenantId);
    if (!tenant) throw notFound('Tenant');
    const [members, instances, account, invoices] = await Promise.all([
      tenants.members(tenantId),
      new InstancesRepository(db).listForTenant(tenantId),
      this.repo.account(tenantId),
      new InvoicesRepository(db).forTenant(tenantId, 20),
    ]);
    return {
      id: tenant.id,
      name: tenant.name,
      planCode: tenant.planCode,
      createdAt: tenant.createdAt.toISOString(),
      members: members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })),
      instances: instances.map((i) => toInstanceDto(config, i)),
      subscription: account
        ? {
            provider: account.provider,
            status: account.status,
            // What the rules decide now (the recorded access follows within the enforcement's run).
            access: evaluateAccess(account, new Date(), config.billing).access,
            currentPeriodEnd: account.currentPeriodEnd?.toISOString() ?? null,
            trialEndsAt: account.trialEndsAt?.toISOString() ?? null,
            cancelAtPeriodEnd: account.cancelAtPeriodEnd,
          }
        : null,
      operatorSuspension: account?.operatorSuspendedAt
        ? { at: account.operatorSuspendedAt.toISOString(), reason: account.operatorSuspendReason ?? '' }
        : null,
      deletion: tenant.deletedAt ? { at: tenant.deletedAt.toISOString(), reason: tenant.deletionReason ?? '' } : null,
      invoices: invoices.map(toInvoiceDto),
    };
  }

  /** Deletes the tenant (tenant-deletion.ts); repeating it finishes an interrupted deletion. */
  delete(tenantId: string, request: TenantDeletionRequest) {
    return deleteTenant(this.deps, tenantId, request);
  }

  /**
   * Suspends the tenant whatever its subscription says: the enforcement (run now, under the tenant's
   * enforcement lock) stops its instances and makes their addresses serve the suspended page. The owner
   * is mailed in the transaction that records the suspension.
   */
  async suspend(tenantId: string, reason: string) {
    const result = await enforceTenant(this.deps, tenantId, {
      apply: () =>
        this.change(tenantId, { at: new Date(), reason }, (to, tenant) =>
          operatorMail.suspended(to, tenant, reason, this.deps.config.publicUrl),
        ),
    });
    return this.summary(tenantId, result);
  }

  /** Lifts the operator's suspension; the enforcement brings each instance back to what its owner wanted. */
  async resume(tenantId: string) {
    const result = await enforceTenant(this.deps, tenantId, {
      apply: () => this.change(tenantId, null, (to, tenant) => operatorMail.resumed(to, tenant, this.deps.config.publicUrl)),
    });
    return this.summary(tenantId, result);
  }

  private async change(
    tenantId: string,
    suspension: { at: Date; reason: string } | null,
    mail: (to: string, tenant: string) => ReturnType<typeof operatorMail.resumed>,
  ) {
    await this.deps.mail.transaction(async (tx, queueMail) => {
      const account = await new AdminTenantsRepository(tx).account(tenantId);
      if (!account) throw notFound('Tenant');
      const tenant = await new TenantsRepository(tx).findById(tenantId);
      if (tenant?.deletedAt) throw conflict('tenant_deleted', 'This tenant was deleted; it can no longer be suspended or resumed.');
      if (!(await new AdminTenantsRepository(tx).setOperatorSuspension(tenantId, suspension))) {
        throw suspension
          ? conflict('tenant_already_suspended', 'An operator already suspended this tenant.')
          : conflict('tenant_not_suspended', 'This tenant is not suspended by an operator.');
      }
      await mailOwners(tx, queueMail, this.deps.config, tenantId, (to, tenant) => mail(to, tenant));
    });
  }

  private async summary(tenantId: string, enforcement: string) {
    const account = await this.repo.account(tenantId);
    if (!account) throw notFound('Tenant');
    return {
      tenantId,
      access: account.access,
      operatorSuspendedAt: account.operatorSuspendedAt?.toISOString() ?? null,
      enforcement,
    };
  }
}
