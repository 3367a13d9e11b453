import { z } from 'zod';
import type { Config } from '../config/config.js';
import { isHostname } from '../edge/edge-names.js';
import { DOMAIN_STATUSES } from './domains.tables.js';

export const MAX_DOMAINS_PER_INSTANCE = 5;
/**
 * A claim not active this long after it was added is released by the worker (domain-claims.ts):
 * three days to create the DNS record and verify. Forgotten claims stop counting against the
 * instance's limit and no longer wait to be verified by whoever the name points to later.
 */
export const PENDING_CLAIM_TTL_HOURS = 72;

/**
 * Why a name cannot be a custom domain, or null. The name is already trimmed and lower-cased; it
 * must be a real DNS name (at least two labels, an alphabetic top-level label: no IP literals, no
 * single labels) outside the platform's own domain, whose hosts the platform routes itself.
 */
export function domainProblem(
  domain: string,
  config: Pick<Config, 'baseDomain' | 'instanceDomain' | 'publicUrl' | 'adminUrl'>,
): { code: string; message: string } | null {
  const invalid = { code: 'invalid_domain', message: 'Enter a domain name such as erp.example.com (letters, digits, hyphens and dots).' };
  if (domain.length > 253 || !isHostname(domain)) return invalid;
  const labels = domain.split('.');
  if (labels.length < 2 || !/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels.at(-1) ?? '')) return invalid;
  // The instances' own domain too (INSTANCE_BASE_DOMAIN): another tenant's `<slug>.<instance domain>` already points here.
  const own = [config.baseDomain, config.instanceDomain, new URL(config.publicUrl).hostname, new URL(config.adminUrl).hostname].map((h) =>
    h.toLowerCase(),
  );
  if (own.some((host) => domain === host || domain.endsWith(`.${host}`))) {
    return {
      code: 'reserved_domain',
      message: `Names under ${config.instanceDomain} belong to the platform: every instance has one already.`,
    };
  }
  return null;
}

/** The name as typed: surrounding spaces and one trailing dot dropped, lower-cased. Everything else is checked, not repaired. */
export const normalizeDomain = (value: string) => value.trim().toLowerCase().replace(/\.$/, '');

export const domainStatusSchema = z.enum(DOMAIN_STATUSES);

export const dnsRecordSchema = z
  .object({
    type: z.enum(['CNAME', 'A']),
    name: z.string(),
    value: z.string(),
    use: z.string().describe('When to create this record'),
  })
  .meta({ id: 'DnsRecord' });

export const customDomainSchema = z
  .object({
    id: z.uuid(),
    instanceId: z.uuid(),
    domain: z.string(),
    status: domainStatusSchema,
    lastError: z
      .string()
      .nullable()
      .describe('The real cause of the last failure: the HTTP check’s or the certificate authority’s own words'),
    dnsRecords: z.array(dnsRecordSchema).describe('Create one of these at your DNS provider'),
    verification: z.object({ url: z.string(), token: z.string() }).describe('What the platform fetches through your domain'),
    certificateExpiresAt: z.iso.datetime().nullable(),
    lastCheckedAt: z.iso.datetime().nullable(),
    verifiedAt: z.iso.datetime().nullable(),
    activatedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'CustomDomain' });

export const addDomainBody = z.object({ domain: z.string().max(300) });

export const domainParams = z.object({ instanceId: z.uuid(), domainId: z.uuid() });
