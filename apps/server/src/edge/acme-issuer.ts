/**
 * Certificates for the edge's host names from an ACME CA (RFC 8555: Let's Encrypt, pebble in tests).
 * Callers depend on this interface; http01-acme-issuer.ts is the implementation.
 */

/** The CA's own words when it refuses: `type` is the RFC 8555 error type, `detail` its explanation. */
export class AcmeError extends Error {
  readonly code = 'acme_failed';
  constructor(
    public readonly type: string,
    public readonly detail: string,
    public readonly domain?: string,
  ) {
    super(`${domain ? `${domain}: ` : ''}${detail} (${type})`);
    this.name = 'AcmeError';
  }
}

export interface CertificateInfo {
  serial: string;
  domains: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  /** The certificate names an OCSP responder (the edge staples its answers). */
  ocsp: boolean;
}

export interface IssuedCertificate extends CertificateInfo {
  /** A host name, or `_wildcard.<host>`. */
  name: string;
  /** The files of this version, as the edge reads them. */
  certFile: string;
  keyFile: string;
}

/** Names are host names (or `_wildcard.<host>`): anything else throws EdgeInputError. */
export interface AcmeIssuer {
  /**
   * Orders a certificate for `domains` (the first is the common name) and stores it under `name`,
   * where the edge finds it at its next apply. Renewal is the same call: a new order, a new key.
   * A refusal throws AcmeError with the CA's words.
   */
  issue(name: string, domains: string[]): Promise<IssuedCertificate>;
  /** The stored certificate of `name`, or null. */
  current(name: string): Promise<IssuedCertificate | null>;
  /** Removes a certificate (a custom domain removed). The edge stops using it at its next apply. */
  remove(name: string): Promise<void>;
  /** Every stored certificate, soonest expiry first (for the renewal job and its report). */
  list(): Promise<IssuedCertificate[]>;
}
