import { z } from 'zod';
import { invoiceSchema } from '../billing/billing.schemas.js';
import { ACCESS_STATES, BILLING_PROVIDERS, SUBSCRIPTION_STATUSES } from '../billing/billing.tables.js';
import { pageQuery } from '../http/route-helpers.js';
import { instanceSchema } from '../instances/instances.schemas.js';
import { memberSchema } from '../tenants/tenants.schemas.js';
import { TENANT_SORTS } from './admin-tenants.repo.js';

const iso = z.iso.datetime();

export const adminTenantSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    planCode: z.string(),
    createdAt: iso,
    memberCount: z.number().int(),
    owner: z.object({ id: z.uuid(), email: z.string() }).nullable(),
    /** How the tenant pays and the state of its subscription (null only for a tenant without an account). */
    billing: z
      .object({ provider: z.enum(BILLING_PROVIDERS), status: z.enum(SUBSCRIPTION_STATUSES), access: z.enum(ACCESS_STATES) })
      .nullable(),
    /** When an operator suspended it (null: not suspended by an operator). */
    operatorSuspendedAt: iso.nullable(),
    /** When an operator deleted it (null: not deleted; deleted tenants are listed only with `deleted=true`). */
    deletedAt: iso.nullable(),
  })
  .meta({ id: 'AdminTenant' });

export const adminTenantsQuery = pageQuery.extend({
  q: z.string().trim().max(200).optional().describe('Part of the name or of an owner’s email'),
  plan: z.string().max(40).optional(),
  access: z.enum(ACCESS_STATES).optional(),
  status: z.enum(SUBSCRIPTION_STATUSES).optional(),
  suspended: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Suspended by an operator'),
  deleted: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only tenants an operator deleted (hidden by default)'),
  sort: z.enum(TENANT_SORTS).default('created'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export const adminTenantDetailSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    planCode: z.string(),
    createdAt: iso,
    members: z.array(memberSchema),
    instances: z.array(instanceSchema),
    subscription: z
      .object({
        provider: z.enum(BILLING_PROVIDERS),
        status: z.enum(SUBSCRIPTION_STATUSES),
        access: z.enum(ACCESS_STATES),
        currentPeriodEnd: iso.nullable(),
        trialEndsAt: iso.nullable(),
        cancelAtPeriodEnd: z.boolean(),
      })
      .nullable(),
    operatorSuspension: z.object({ at: iso, reason: z.string() }).nullable(),
    /** An operator's deletion (null: not deleted). */
    deletion: z.object({ at: iso, reason: z.string() }).nullable(),
    /** The newest invoices (up to 20). */
    invoices: z.array(invoiceSchema),
  })
  .meta({ id: 'AdminTenantDetail' });

export const operatorReasonSchema = z.string().trim().min(3).max(500);

export const suspensionResultSchema = z
  .object({
    tenantId: z.uuid(),
    access: z.enum(ACCESS_STATES),
    operatorSuspendedAt: iso.nullable(),
    /** What the enforcement did, e.g. "full → suspended". */
    enforcement: z.string(),
  })
  .meta({ id: 'TenantSuspension' });

export const deleteTenantBody = z.object({
  reason: operatorReasonSchema,
  /** The tenant's name, typed by the operator: a deletion is not undone from the dashboard. */
  confirmName: z.string().max(200),
});

export const tenantDeletionSchema = z
  .object({
    tenantId: z.uuid(),
    deletedAt: iso,
    /** False when the tenant was already deleted: the call then only resumed what an interrupted one left. */
    firstRequest: z.boolean(),
    /**
     * What happened to the subscription: `canceled` (manual provider), `none` (nothing to end), or
     * `provider_cancel_required` (Stripe is not configured any more or refused: repeat the call, or cancel it in Stripe's dashboard).
     */
    subscription: z.enum(['canceled', 'none', 'provider_cancel_required']),
    /** Slugs of the instances going through the deletion workflow (a final backup first). */
    instances: z.array(z.string()),
    revokedInvitations: z.number().int(),
  })
  .meta({ id: 'TenantDeletion' });
