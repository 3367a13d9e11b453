import type { z } from 'zod';
import type { Config } from '../config/config.js';
import { instanceUrl } from '../instances/instances.service.js';
import type { CustomDomainRow } from './domains.repo.js';
import type { customDomainSchema } from './domains.schemas.js';

export type DomainDto = z.infer<typeof customDomainSchema>;

/** The records a tenant can create: a CNAME to the instance's subdomain, or an A record to the platform's address. */
function dnsRecords(config: Config, slug: string, domain: string): DomainDto['dnsRecords'] {
  const records: DomainDto['dnsRecords'] = [
    { type: 'CNAME', name: domain, value: new URL(instanceUrl(config, slug)).hostname, use: 'for a subdomain such as erp.example.com' },
  ];
  if (config.domains.publicIpv4) {
    records.push({
      type: 'A',
      name: domain,
      value: config.domains.publicIpv4,
      use: 'for an apex domain such as example.com (no CNAME possible)',
    });
  }
  return records;
}

/** A custom domain as the API shows it: with the DNS records to create, the verification URL and its certificate's expiry. */
export function toDomainDto(config: Config, slug: string, d: CustomDomainRow, certificateExpiresAt: Date | undefined): DomainDto {
  const port = config.domains.verifyPort === 80 ? '' : `:${config.domains.verifyPort}`;
  return {
    id: d.id,
    instanceId: d.instanceId,
    domain: d.domain,
    status: d.status,
    lastError: d.lastError,
    dnsRecords: dnsRecords(config, slug, d.domain),
    verification: { url: `http://${d.domain}${port}/.well-known/odoo-saas/${d.verificationToken}`, token: d.verificationToken },
    certificateExpiresAt: certificateExpiresAt?.toISOString() ?? null,
    lastCheckedAt: d.lastCheckedAt?.toISOString() ?? null,
    verifiedAt: d.verifiedAt?.toISOString() ?? null,
    activatedAt: d.activatedAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}
