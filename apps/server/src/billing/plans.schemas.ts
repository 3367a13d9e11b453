import { z } from 'zod';
import { limitsSchema } from '../instances/instances.schemas.js';

/** What a plan grants; the bounds are the ones an admin may set (the admin form reads them from the API document). */
export const planLimitsSchema = z.object({
  name: z.string().trim().min(1).max(120),
  maxInstances: z.number().int().min(0).max(1000),
  memoryMb: z.number().int().min(256).max(262_144),
  cpuMillis: z.number().int().min(100).max(64_000),
  pids: z.number().int().min(64).max(100_000),
  storageGb: z.number().int().min(1).max(10_000),
  workers: z.number().int().min(0).max(64),
});

export const planCodeSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/);

/** A plan: how many instances a tenant may have, and the limits each of them gets. */
export const planSchema = z
  .object({ code: z.string(), name: z.string(), maxInstances: z.number().int(), ...limitsSchema.shape })
  .meta({ id: 'Plan' });

export type PlanDto = z.infer<typeof planSchema>;
export type PlanLimits = z.infer<typeof planLimitsSchema>;
