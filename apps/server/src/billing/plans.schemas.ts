import { z } from 'zod';
import { limitsSchema } from '../instances/instances.schemas.js';

export const planCodeSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/);

const backupRetentionSchema = z
  .object({
    daily: z.number().int().min(0).max(366),
    weekly: z.number().int().min(0).max(520),
    monthly: z.number().int().min(0).max(240),
  })
  .meta({ id: 'BackupRetention' });

/** An amount in minor units of the platform currency (cents); null: no price for that interval. */
const amountInput = z.number().int().min(0).max(100_000_000).nullable();

/**
 * What an admin sets on a plan; the bounds are the ones the admin form reads from the API document.
 * Fields left out keep their current value (or the default for a new plan).
 */
export const planLimitsSchema = z.object({
  name: z.string().trim().min(1).max(120),
  maxInstances: z.number().int().min(0).max(1000),
  memoryMb: z.number().int().min(256).max(262_144),
  cpuMillis: z.number().int().min(100).max(64_000),
  pids: z.number().int().min(64).max(100_000),
  storageGb: z.number().int().min(1).max(10_000),
  workers: z.number().int().min(0).max(64),
  description: z.string().trim().max(2000).optional(),
  visibility: z.enum(['public', 'hidden']).optional(),
  sortOrder: z.number().int().min(0).max(10_000).optional(),
  trialDays: z.number().int().min(0).max(365).optional(),
  perUser: z.boolean().optional(),
  customDomains: z.boolean().optional(),
  /** Null: every version the platform offers. */
  odooVersions: z
    .array(
      z
        .string()
        .regex(/^[0-9][0-9a-z.]*$/i)
        .max(20),
    )
    .max(20)
    .nullable()
    .optional(),
  backupRetention: backupRetentionSchema.optional(),
  manualBackupsPerDay: z.number().int().min(0).max(100).optional(),
  /** Prices per interval; a changed amount becomes a new price, existing subscribers keep theirs. */
  prices: z.object({ month: amountInput, year: amountInput }).partial().optional(),
});

export const priceSchema = z
  .object({
    id: z.uuid(),
    interval: z.enum(['month', 'year']),
    currency: z.string(),
    /** Minor units (cents). */
    unitAmount: z.number().int(),
    active: z.boolean(),
    providerPriceId: z.string().nullable(),
  })
  .meta({ id: 'PlanPrice' });

/** A plan as admins see it: limits, what it allows, its prices (old ones included) and its sync with the provider. */
export const planSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    description: z.string(),
    visibility: z.enum(['public', 'hidden']),
    sortOrder: z.number().int(),
    trialDays: z.number().int(),
    perUser: z.boolean(),
    maxInstances: z.number().int(),
    ...limitsSchema.shape,
    customDomains: z.boolean(),
    odooVersions: z.array(z.string()).nullable(),
    backupRetention: backupRetentionSchema,
    manualBackupsPerDay: z.number().int(),
    prices: z.array(priceSchema),
    /** The provider's product (Stripe), when synced; `syncError` says why the last sync failed. */
    providerProductId: z.string().nullable(),
    syncedAt: z.iso.datetime().nullable(),
    syncError: z.string().nullable(),
  })
  .meta({ id: 'Plan' });

/** A plan as the pricing page and sign-up show it: public plans, active prices only. */
export const publicPlanSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    description: z.string(),
    trialDays: z.number().int(),
    perUser: z.boolean(),
    maxInstances: z.number().int(),
    memoryMb: z.number().int(),
    cpuMillis: z.number().int(),
    storageGb: z.number().int(),
    workers: z.number().int(),
    customDomains: z.boolean(),
    odooVersions: z.array(z.string()).nullable(),
    backupRetention: backupRetentionSchema,
    /** Active prices; none means the plan is free. */
    prices: z.array(z.object({ interval: z.enum(['month', 'year']), currency: z.string(), unitAmount: z.number().int() })),
  })
  .meta({ id: 'PublicPlan' });

export type PlanDto = z.infer<typeof planSchema>;
export type PublicPlanDto = z.infer<typeof publicPlanSchema>;
export type PlanInput = z.infer<typeof planLimitsSchema>;
