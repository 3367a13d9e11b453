import { RENEW_BEFORE_DAYS } from '../certificates/certificate-renewal.job.js';
import { type CertificateRow, CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { type EdgeRouteRow, EdgeRoutesRepository } from './edge-routes.repo.js';
import type { ROUTE_STATES } from './system-admin.schemas.js';

type HostCertificateStatus = 'valid' | 'expiring' | 'expired' | 'renewal_failed' | 'missing' | 'not_used';

/** The operators' view of the edge: which host reaches which instance, in what state, with which certificate. */
export class EdgeRoutesService {
  private readonly routes: EdgeRoutesRepository;
  private readonly certificates: CertificatesRepository;

  constructor(
    db: Db,
    private readonly config: Pick<Config, 'instanceDomain' | 'edge'>,
  ) {
    this.routes = new EdgeRoutesRepository(db);
    this.certificates = new CertificatesRepository(db);
  }

  async list(query: { q?: string | undefined; state?: (typeof ROUTE_STATES)[number] | undefined; limit: number; offset: number }) {
    const { rows, total } = await this.routes.list({ ...query, instanceDomain: this.config.instanceDomain });
    const certs = this.config.edge.tls ? await this.certificatesFor(rows) : new Map<string, CertificateRow>();
    const now = Date.now();
    return {
      items: rows.map((row) => {
        const cert = this.certificateOf(row, certs);
        return {
          host: row.host,
          kind: row.kind,
          instance: { id: row.instanceId, slug: row.slug, name: row.name, tenantId: row.tenantId },
          state: row.state,
          certificate: {
            status: this.config.edge.tls ? certificateStatus(cert, now) : ('not_used' as const),
            name: cert?.name ?? null,
            notAfter: cert?.notAfter.toISOString() ?? null,
          },
        };
      }),
      total,
    };
  }

  /** The page's certificates by name: each host's own, and the instances' wildcard (as the nginx router picks them). */
  private async certificatesFor(rows: EdgeRouteRow[]) {
    const names = [...new Set([...rows.map((r) => r.host), this.wildcardName()])];
    return new Map((await this.certificates.byNames(names)).map((c) => [c.name, c]));
  }

  private wildcardName() {
    return `_wildcard.${this.config.instanceDomain}`;
  }

  private certificateOf(row: EdgeRouteRow, certs: Map<string, CertificateRow>) {
    const own = certs.get(row.host);
    if (own) return own;
    // Only a direct child of the instances' domain is covered by its wildcard (nginx-edge-router.ts).
    return row.kind === 'subdomain' ? certs.get(this.wildcardName()) : undefined;
  }
}

function certificateStatus(cert: CertificateRow | undefined, now: number): HostCertificateStatus {
  if (!cert) return 'missing';
  if (cert.notAfter.getTime() <= now) return 'expired';
  if (cert.status === 'renewal_failed') return 'renewal_failed';
  return cert.notAfter.getTime() - now < RENEW_BEFORE_DAYS * 86_400_000 ? 'expiring' : 'valid';
}
