import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { dirname } from 'node:path';
import type { Client } from 'acme-client';
import { AcmeError, type AcmeIssuer, type IssuedCertificate } from './acme-issuer.js';
import { CertificateStore } from './certificate-store.js';
import { assertCertName, normalizeHostname } from './edge-names.js';
import type { EdgeLog, EdgeRouter } from './edge-router.js';

/**
 * AcmeIssuer through acme-client, answering HTTP-01 challenges with the edge (it serves them on
 * every host, routed or not). Certificates go to the edge's CertificateStore.
 */

export interface Http01AcmeIssuerOptions {
  directoryUrl: string;
  /** PEM of CAs to trust for the ACME server's own HTTPS (pebble's self-signed one); unset: the system's. */
  caBundle?: string;
  /** The ACME account key (created on first use, mode 600). */
  accountKeyFile: string;
  email?: string;
  /** Publishes the HTTP-01 key authorizations. */
  challenges: Pick<EdgeRouter, 'publishChallenge' | 'withdrawChallenge'>;
  certsDir: string;
  /** Polling of pending challenges and orders. */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollAttempts?: number;
  log?: EdgeLog;
}

interface ProblemDocument {
  type?: string;
  detail?: string;
}

type AcmeClientModule = typeof import('acme-client');

// acme-client reduces refusals to their detail text; this keeps the whole problem document of the
// last refusal seen by each issue() call (AsyncLocalStorage: concurrent issues do not mix).
const problems = new AsyncLocalStorage<{ last?: ProblemDocument }>();

let acmeModule: Promise<AcmeClientModule> | undefined;

/**
 * acme-client, loaded on the first certificate rather than at start-up: it is the heaviest import of
 * the API and the worker (about a third of a second of CPU), and is used by a few jobs a day.
 */
function loadAcme(): Promise<AcmeClientModule> {
  acmeModule ??= import('acme-client').then((acme) => {
    acme.axios.interceptors.response.use((response) => {
      const store = problems.getStore();
      const data = response.data as ProblemDocument | undefined;
      if (store && response.status >= 400 && data && typeof data === 'object' && typeof data.type === 'string') store.last = data;
      return response;
    });
    return acme;
  });
  return acmeModule;
}

export class Http01AcmeIssuer implements AcmeIssuer {
  private client: Client | null = null;
  private readonly store: CertificateStore;

  constructor(private readonly options: Http01AcmeIssuerOptions) {
    this.store = new CertificateStore(options.certsDir);
  }

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

  current(name: string): Promise<IssuedCertificate | null> {
    return this.store.read(name);
  }

  remove(name: string): Promise<void> {
    return this.store.remove(name);
  }

  list(): Promise<IssuedCertificate[]> {
    return this.store.list();
  }

  private async accountClient(): Promise<Client> {
    if (this.client) return this.client;
    const acme = await loadAcme();
    if (this.options.caBundle) {
      // acme-client has one HTTP client per process: the bundle applies to every issuer in it.
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: this.options.caBundle, keepAlive: true });
    }
    const accountKey = await this.accountKey(acme);
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
  private async accountKey(acme: AcmeClientModule): Promise<string> {
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
    const { challenges } = this.options;
    for (const authz of authorizations) {
      if (authz.status === 'valid') continue;
      const domain = authz.identifier.value;
      const challenge = authz.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeError('urn:ietf:params:acme:error:unsupportedIdentifier', 'the CA offers no http-01 challenge', domain);
      await challenges.publishChallenge('acme', challenge.token, await client.getChallengeKeyAuthorization(challenge));
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
        await challenges.withdrawChallenge('acme', challenge.token);
      }
    }
    const acme = await loadAcme();
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: hosts[0], altNames: hosts },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const finalized = await client.finalizeOrder(order, csr);
    const stored = await this.store.write(name, await client.getCertificate(finalized), key);
    this.options.log?.info({ name, domains: hosts, serial: stored.serial, notAfter: stored.notAfter }, 'certificate issued');
    return stored;
  }

  private toAcmeError(error: unknown): Error {
    if (error instanceof AcmeError) return error;
    const last = problems.getStore()?.last;
    const message = error instanceof Error ? error.message : String(error);
    if (last?.type) return new AcmeError(last.type, last.detail ?? message);
    return new AcmeError('urn:ietf:params:acme:error:serverInternal', `ACME request failed: ${message}`);
  }
}
