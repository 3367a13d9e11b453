import { z } from 'zod';

export const RESERVED_SLUGS = new Set([
  'admin',
  'api',
  'www',
  'mail',
  'app',
  'status',
  'smtp',
  'imap',
  'pop',
  'ftp',
  'ns1',
  'ns2',
  'dns',
  'mx',
  'webmail',
  'dashboard',
  'billing',
  'support',
  'help',
  'docs',
  'static',
  'assets',
  'cdn',
  'auth',
  'login',
  'signup',
  'account',
  'root',
  'odoo',
  'portal',
  'localhost',
  'test',
  'dev',
  'staging',
  'internal',
  'metrics',
  'acme',
  'autodiscover',
  'autoconfig',
]);

export const SLUG_RULES = 'Use 3 to 63 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit.';

/** Why a slug cannot be used (format or reserved), or null. Whether it is taken is the service's business. */
export function slugProblem(slug: string): { code: string; message: string } | null {
  if (!/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(slug)) return { code: 'invalid_slug', message: SLUG_RULES };
  if (slug.startsWith('xn--') || slug.includes('--')) return { code: 'invalid_slug', message: 'Consecutive hyphens are not allowed.' };
  if (RESERVED_SLUGS.has(slug)) return { code: 'reserved_slug', message: `“${slug}” is reserved. Choose another name.` };
  return null;
}

export const instanceStatusSchema = z.enum(['pending', 'provisioning', 'running', 'stopped', 'failed', 'deleting', 'deleted']);

export const limitsSchema = z
  .object({
    memoryMb: z.number().int(),
    cpuMillis: z.number().int(),
    pids: z.number().int(),
    storageGb: z.number().int(),
    workers: z.number().int(),
  })
  .meta({ id: 'InstanceLimits' });

export const progressSchema = z
  .object({
    operation: z.string(),
    step: z.string().nullable(),
    stepIndex: z.number().int(),
    stepCount: z.number().int(),
    percent: z.number().int(),
  })
  .meta({ id: 'InstanceProgress' });

export const instanceSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    name: z.string(),
    slug: z.string(),
    version: z.string(),
    status: instanceStatusSchema,
    desiredState: z.enum(['running', 'stopped', 'deleted']),
    url: z.string(),
    limits: limitsSchema,
    progress: progressSchema.nullable(),
    lastError: z.string().nullable(),
    provisionPath: z.enum(['template', 'fresh', 'backup']).nullable(),
    sourceBackupId: z.uuid().nullable().describe('Made from this backup (a duplicate or staging copy), neutralised'),
    backupHour: z.number().int().nullable().describe('The hour (UTC) of the daily backup the tenant chose; null: spread by the platform'),
    adminLogin: z.string().describe('The login of Odoo’s administrator'),
    credentialsAvailable: z.boolean().describe('The initial Odoo admin password can still be revealed once'),
    suspended: z.boolean().describe('Its tenant is suspended (unpaid subscription): stopped, and its address serves the suspended page'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    readyAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Instance' });

export type InstanceDto = z.infer<typeof instanceSchema>;

/**
 * One Server-Sent Event of `GET /instances/{id}/events`: the event name, and as its data (JSON) the
 * instance exactly as `GET /instances/{id}` returns it.
 */
export const instanceUpdateSchema = z
  .object({
    event: z.literal('instance'),
    data: instanceSchema,
  })
  .meta({
    id: 'InstanceUpdate',
    description: 'One event of the instance’s live stream: `event: instance`, and `data:` the Instance as JSON.',
  });

export type InstanceUpdate = z.infer<typeof instanceUpdateSchema>;

export const instanceEventSchema = z
  .object({
    fromStatus: instanceStatusSchema.nullable(),
    toStatus: instanceStatusSchema,
    reason: z.string(),
    actorId: z.uuid().nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'InstanceEvent' });

export const createInstanceBody = z.object({
  name: z.string().trim().min(1).max(80),
  slug: z.string().trim().toLowerCase().min(1).max(63),
  version: z.string().trim().max(20).optional(),
  /** Start from one of the tenant's backups (a duplicate or staging copy, neutralised) instead of an empty Odoo. */
  fromBackupId: z.uuid().optional(),
});

export const instanceParams = z.object({ instanceId: z.uuid() });

export const credentialsSchema = z.object({ login: z.string(), password: z.string(), url: z.string() }).meta({ id: 'OdooCredentials' });

export const statsSchema = z
  .object({
    cpuPercent: z.number().nullable(),
    memoryBytes: z.number().nullable(),
    memoryLimitBytes: z.number().nullable(),
    diskBytes: z.number().nullable(),
    databaseBytes: z.number().nullable(),
    /** The plan's storage limit against database plus filestore: `warning` from 80 %, `full` at 100 % (docs/instances.md). */
    storage: z
      .object({ usedBytes: z.number().nullable(), limitBytes: z.number(), state: z.enum(['ok', 'warning', 'full']) })
      .meta({ id: 'InstanceStorage' }),
    at: z.iso.datetime(),
  })
  .meta({ id: 'InstanceStats' });

export const versionSchema = z
  .object({ version: z.string(), image: z.string(), enabled: z.boolean(), isDefault: z.boolean(), templateStatus: z.string().nullable() })
  .meta({ id: 'OdooVersion' });
