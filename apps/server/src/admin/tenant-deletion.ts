import { recordSubscriptionChange } from '../billing/billing-accounts.repo.js';
import { BillingProviderError } from '../billing/billing-provider.js';
import { mailOwners } from '../billing/owner-mail.js';
import { invalid, notFound } from '../errors/domain-error.js';
import { deleteTenantInstances } from '../instances/tenant-instances-deletion.js';
import { InvitationsRepository, TenantsRepository } from '../tenants/tenants.repo.js';
import { AdminTenantsRepository, ENDED_OR_NONE } from './admin-tenants.repo.js';
import type { AdminTenantsDeps } from './admin-tenants.service.js';
import { operatorMail } from './tenant-operator-mail.js';

export interface TenantDeletionRequest {
  reason: string;
  confirmName: string;
  actorId: string;
}

/**
 * An operator deletes a tenant (docs/admin.md#tenants). The tenant is marked deleted first, with the
 * owners' mail in the same transaction (so it is sent once): from then on it is gone for its members.
 * Every later step is idempotent, and asking again for an already deleted tenant runs them again, so a
 * call interrupted by a crash is finished by repeating it. The row stays: final backups and the audit
 * trail keep their tenant, and backup retention removes the backups later.
 */
export async function deleteTenant(deps: AdminTenantsDeps, tenantId: string, request: TenantDeletionRequest) {
  const { db, config, log } = deps;
  const tenant = await new TenantsRepository(db).findById(tenantId);
  if (!tenant) throw notFound('Tenant');
  if (request.confirmName.trim() !== tenant.name.trim()) {
    throw invalid('confirmation_mismatch', 'Type the tenant’s name exactly as shown to confirm its deletion.');
  }

  let deletedAt = tenant.deletedAt;
  let firstRequest = false;
  if (!deletedAt) {
    deletedAt = await deps.mail.transaction(async (tx, queueMail) => {
      const marked = await new TenantsRepository(tx).markDeleted(tenantId, request.reason);
      if (!marked?.deletedAt) return null; // a concurrent request marked it first (and mailed)
      firstRequest = true;
      await mailOwners(tx, queueMail, config, tenantId, (to, name) => operatorMail.deleted(to, name, request.reason, config.publicUrl));
      return marked.deletedAt;
    });
    deletedAt ??= (await new TenantsRepository(db).findById(tenantId))?.deletedAt ?? new Date();
  }

  const instances = await deleteTenantInstances(deps, tenantId, 'tenant deleted by the platform operator', request.actorId);
  const revokedInvitations = await new InvitationsRepository(db).revokeAllOpen(tenantId);
  // Last: a provider that fails here leaves the rest done, and repeating the call tries it again.
  const subscription = await endSubscription(deps, tenantId);
  log.info({ tenantId, firstRequest, subscription, instances: instances.length, revokedInvitations }, 'tenant deleted by an operator');
  return { tenantId, deletedAt: deletedAt.toISOString(), firstRequest, subscription, instances, revokedInvitations };
}

/**
 * Manual provider: the subscription is marked canceled. Stripe: it is canceled there at once (no
 * proration, no final invoice) and Stripe's webhook records it; the enforcement ignores deleted tenants,
 * so that event changes nothing else. Without Stripe configured any more, or when Stripe refuses, the
 * answer says `provider_cancel_required`: the operator repeats the call or cancels it in Stripe's dashboard.
 */
async function endSubscription(deps: AdminTenantsDeps, tenantId: string): Promise<'canceled' | 'none' | 'provider_cancel_required'> {
  const repo = new AdminTenantsRepository(deps.db);
  const account = await repo.account(tenantId);
  if (!account) return 'none';
  if (account.provider === 'manual') {
    // With its subscription change, so MRR and churn see the cancellation.
    const canceled = await deps.db.transaction(async (tx) => {
      if (!(await new AdminTenantsRepository(tx).cancelManualSubscription(tenantId))) return false;
      await recordSubscriptionChange(tx, tenantId, { currency: deps.config.billing.currency });
      return true;
    });
    return canceled ? 'canceled' : 'none';
  }
  const ended = (ENDED_OR_NONE as readonly string[]).includes(account.status);
  if (!account.subscriptionId || ended) return 'none';
  if (!deps.billingProvider) return 'provider_cancel_required';
  try {
    await deps.billingProvider.cancelSubscription(account.subscriptionId, `tenant-delete-${tenantId}`);
    return 'canceled';
  } catch (err) {
    if (!(err instanceof BillingProviderError)) throw err;
    deps.log.warn({ tenantId, err: err.message }, 'the billing provider refused to cancel a deleted tenant’s subscription');
    return 'provider_cancel_required';
  }
}
