import { AsyncLocalStorage } from 'node:async_hooks';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { dirname, join } from 'node:path';
import acme from 'acme-client';
import { assertCertName, assertToken, normalizeHostname } from './edge-names.js';
import type { EdgeLog } from './nginx-edge-router.js';

/**
 * Certificates through ACME (RFC 8555) with HTTP-01 challenges answered by the edge's nginx from its
 * webroot (`/.well-known/acme-challenge/` on every host, routed or not). Works against Let's
 * Encrypt (production or staging) and pebble in tests. Certificates land in
 * `<certs>/<name>/{fullchain.pem,privkey.pem}`, where `<name>` is a symlink to a versioned
 * directory, so certificate and key change together, atomically.
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

export interface AcmeIssuerOptions {
  directoryUrl: string;
  /** PEM of CAs to trust for the ACME server's own HTTPS (pebble's self-signed one); unset: the system's. */
  caBundle?: string;
  /** The ACME account key (created on first use, mode 600). */
  accountKeyFile: string;
  email?: string;
  /** Served by nginx at /.well-known/acme-challenge/ for every host. */
  webroot: string;
  certsDir: string;
  /** Polling of pending challenges and orders. */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollAttempts?: number;
  log?: EdgeLog;
}

export interface CertificateInfo {
  serial: string;
  domains: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
}

export interface IssuedCertificate extends CertificateInfo {
  name: string;
  certFile: string;
  keyFile: string;
}

interface ProblemDocument {
  type?: string;
  detail?: string;
}

// acme-client reduces refusals to their detail text; this keeps the whole problem document of the
// last refusal seen by each issue() call (AsyncLocalStorage: concurrent issues do not mix).
const problems = new AsyncLocalStorage<{ last?: ProblemDocument }>();
acme.axios.interceptors.response.use((response) => {
  const store = problems.getStore();
  const data = response.data as ProblemDocument | undefined;
  if (store && response.status >= 400 && data && typeof data === 'object' && typeof data.type === 'string') store.last = data;
  return response;
});

export function readCertificateInfo(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem);
  const domains = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    serial: cert.serialNumber.toLowerCase().replace(/^0+/, ''),
    domains,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    issuer: cert.issuer,
  };
}

export class AcmeIssuer {
  private client: acme.Client | null = null;
  private readonly challengeDir: string;

  constructor(private readonly options: AcmeIssuerOptions) {
    this.challengeDir = join(options.webroot, '.well-known', 'acme-challenge');
    if (options.caBundle) {
      // acme-client has one HTTP client per process: the bundle applies to every issuer in it.
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: options.caBundle, keepAlive: true });
    }
  }

  /**
   * Orders a certificate for `domains` (the first is the common name) and stores it under `name`.
   * Renewal is the same call: a new order, a new key, the same name.
   */
  issue(name: string, domains: string[]): Promise<IssuedCertificate> {
    assertCertName(name);
    const hosts = domains.map((d, i) => normalizeHostname(d, `domains[${i}]`));
    if (hosts.length === 0) throw new AcmeError('urn:ietf:params:acme:error:malformed', 'no domain given');
    return problems.run({}, async () => {
      try {
        return await this.order(name, hosts);
      } catch (error) {
        throw this.toAcmeError(error);
      }
    });
  }

  /** The stored certificate of `name`, or null. */
  async current(name: string): Promise<IssuedCertificate | null> {
    assertCertName(name);
    const certFile = join(this.options.certsDir, name, 'fullchain.pem');
    const pem = await readFile(certFile, 'utf8').catch(() => null);
    if (!pem) return null;
    return { name, certFile, keyFile: join(this.options.certsDir, name, 'privkey.pem'), ...readCertificateInfo(pem) };
  }

  /** Removes a certificate and its versions (a custom domain removed). The edge stops using it at its next apply. */
  async remove(name: string): Promise<void> {
    assertCertName(name);
    await rm(join(this.options.certsDir, name), { recursive: true, force: true });
    await rm(join(this.options.certsDir, '.versions', name), { recursive: true, force: true });
  }

  /** Every stored certificate, soonest expiry first (for the renewal job and its report). */
  async list(): Promise<IssuedCertificate[]> {
    const entries = await readdir(this.options.certsDir).catch(() => [] as string[]);
    const found: IssuedCertificate[] = [];
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const cert = await this.current(entry).catch(() => null);
      if (cert) found.push(cert);
    }
    return found.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  }

  private async accountClient(): Promise<acme.Client> {
    if (this.client) return this.client;
    const accountKey = await this.accountKey();
    const client = new acme.Client({
      directoryUrl: this.options.directoryUrl,
      accountKey,
      backoffAttempts: this.options.pollAttempts ?? 10,
      backoffMin: this.options.pollMinMs ?? 1_000,
      backoffMax: this.options.pollMaxMs ?? 10_000,
    });
    // Idempotent: the CA answers with the existing account for a known key.
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(this.options.email ? { contact: [`mailto:${this.options.email}`] } : {}),
    });
    this.client = client;
    return client;
  }

  /** The account key on disk, created on first use (mode 600). */
  private async accountKey(): Promise<string> {
    const file = this.options.accountKeyFile;
    const existing = await readFile(file, 'utf8').catch(() => null);
    if (existing) return existing;
    const created = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8');
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, created, { mode: 0o600, flag: 'wx' });
      return created;
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return readFile(file, 'utf8');
    }
  }

  private async order(name: string, hosts: string[]): Promise<IssuedCertificate> {
    const client = await this.accountClient();
    const order = await client.createOrder({ identifiers: hosts.map((value) => ({ type: 'dns', value })) });
    const authorizations = await client.getAuthorizations(order);
    await mkdir(this.challengeDir, { recursive: true });
    for (const authz of authorizations) {
      if (authz.status === 'valid') continue;
      const domain = authz.identifier.value;
      const challenge = authz.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeError('urn:ietf:params:acme:error:unsupportedIdentifier', 'the CA offers no http-01 challenge', domain);
      const token = assertToken(challenge.token);
      const file = join(this.challengeDir, token);
      await writeFile(file, await client.getChallengeKeyAuthorization(challenge), { mode: 0o644 });
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(authz);
      } catch (error) {
        // The authorization's challenge holds the validation error (what the CA saw at our address).
        const fresh = (await client.getAuthorizations(order).catch(() => [])).find((a) => a.identifier.value === domain);
        const failed = fresh?.challenges.find((c) => c.type === 'http-01')?.error as ProblemDocument | undefined;
        if (failed?.detail) throw new AcmeError(failed.type ?? 'urn:ietf:params:acme:error:unauthorized', failed.detail, domain);
        throw error;
      } finally {
        await rm(file, { force: true });
      }
    }
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: hosts[0], altNames: hosts },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const finalized = await client.finalizeOrder(order, csr);
    const pem = await client.getCertificate(finalized);
    const stored = await this.store(name, pem, key);
    this.options.log?.info({ name, domains: hosts, serial: stored.serial, notAfter: stored.notAfter }, 'certificate issued');
    return stored;
  }

  private async store(name: string, fullchain: string, key: Buffer): Promise<IssuedCertificate> {
    const info = readCertificateInfo(fullchain);
    const certs = this.options.certsDir;
    const versionDir = join(certs, '.versions', name, `${Date.now()}-${info.serial}`);
    await mkdir(versionDir, { recursive: true, mode: 0o700 });
    await writeFile(join(versionDir, 'privkey.pem'), key, { mode: 0o600 });
    await writeFile(join(versionDir, 'fullchain.pem'), fullchain, { mode: 0o644 });
    await chmod(join(versionDir, 'privkey.pem'), 0o600);
    // Swap the name's symlink in one rename: certificate and key always match.
    const link = join(certs, name);
    const tmpLink = join(certs, `.${name}.link-${process.pid}`);
    await unlink(tmpLink).catch(() => undefined);
    await symlink(join('.versions', name, versionDir.split('/').at(-1) ?? ''), tmpLink);
    await rename(tmpLink, link).catch(async () => {
      // A plain directory from elsewhere (copied in by hand): replace it.
      await rm(link, { recursive: true, force: true });
      await rename(tmpLink, link);
    });
    await this.pruneVersions(name);
    return { name, certFile: join(link, 'fullchain.pem'), keyFile: join(link, 'privkey.pem'), ...info };
  }

  /** Keeps the live version and the one before it. */
  private async pruneVersions(name: string) {
    const dir = join(this.options.certsDir, '.versions', name);
    const live = (await readlink(join(this.options.certsDir, name)).catch(() => '')).split('/').at(-1);
    const versions = (await readdir(dir)).sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
    for (const old of versions.slice(2)) if (old !== live) await rm(join(dir, old), { recursive: true, force: true });
  }

  private toAcmeError(error: unknown): Error {
    if (error instanceof AcmeError) return error;
    const last = problems.getStore()?.last;
    const message = error instanceof Error ? error.message : String(error);
    if (last?.type) return new AcmeError(last.type, last.detail ?? message);
    return new AcmeError('urn:ietf:params:acme:error:serverInternal', `ACME request failed: ${message}`);
  }
}
