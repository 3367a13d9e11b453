import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateInfo, IssuedCertificate } from './acme-issuer.js';
import { assertCertName } from './edge-names.js';

/** What a PEM certificate (the leaf, first in a chain) says about itself. Throws on a PEM that does not parse. */
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
    ocsp: /OCSP - URI:/.test(cert.infoAccess ?? ''),
  };
}

/**
 * The edge's certificates on disk, written by the ACME issuer and read by the nginx edge:
 * `<dir>/<name>/{fullchain.pem,privkey.pem}`, where `<name>` is a symlink to
 * `.versions/<name>/<version>/`, so certificate and key change together, atomically. A plain
 * directory (copied in by hand) is read the same way.
 */
export class CertificateStore {
  constructor(private readonly dir: string) {}

  /**
   * The certificate of `name` when both files exist, else null; throws when its PEM does not parse.
   * The paths are the resolved version's: a renewed certificate has new paths, so the edge's
   * rendered config changes and is validated and reloaded like any change.
   */
  async read(name: string): Promise<IssuedCertificate | null> {
    assertCertName(name);
    const dir = await realpath(join(this.dir, name)).catch(() => null);
    if (!dir) return null;
    const certFile = join(dir, 'fullchain.pem');
    const keyFile = join(dir, 'privkey.pem');
    const pem = await readFile(certFile, 'utf8').catch(() => null);
    if (pem === null || !(await stat(keyFile).catch(() => null))) return null;
    return { name, certFile, keyFile, ...readCertificateInfo(pem) };
  }

  /** Stores a new version of `name` and switches the name to it in one rename. */
  async write(name: string, fullchain: string, key: Buffer | string): Promise<IssuedCertificate> {
    assertCertName(name);
    const info = readCertificateInfo(fullchain);
    const version = `${Date.now()}-${info.serial}`;
    const versionDir = join(this.dir, '.versions', name, version);
    await mkdir(versionDir, { recursive: true, mode: 0o700 });
    await writeFile(join(versionDir, 'privkey.pem'), key, { mode: 0o600 });
    await writeFile(join(versionDir, 'fullchain.pem'), fullchain, { mode: 0o644 });
    await chmod(join(versionDir, 'privkey.pem'), 0o600);
    const link = join(this.dir, name);
    const tmpLink = join(this.dir, `.${name}.link-${process.pid}`);
    await unlink(tmpLink).catch(() => undefined);
    await symlink(join('.versions', name, version), tmpLink);
    await rename(tmpLink, link).catch(async () => {
      // A plain directory from elsewhere (copied in by hand): replace it.
      await rm(link, { recursive: true, force: true });
      await rename(tmpLink, link);
    });
    await this.pruneVersions(name);
    return { name, certFile: join(versionDir, 'fullchain.pem'), keyFile: join(versionDir, 'privkey.pem'), ...info };
  }

  /** Removes `name` and its versions. */
  async remove(name: string): Promise<void> {
    assertCertName(name);
    await rm(join(this.dir, name), { recursive: true, force: true });
    await rm(join(this.dir, '.versions', name), { recursive: true, force: true });
  }

  /** Every readable certificate, soonest expiry first. */
  async list(): Promise<IssuedCertificate[]> {
    const entries = await readdir(this.dir).catch(() => [] as string[]);
    const found: IssuedCertificate[] = [];
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const cert = await this.read(entry).catch(() => null);
      if (cert) found.push(cert);
    }
    return found.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  }

  /** Keeps the live version and the one before it. */
  private async pruneVersions(name: string) {
    const dir = join(this.dir, '.versions', name);
    const live = (await readlink(join(this.dir, name)).catch(() => '')).split('/').at(-1);
    const versions = (await readdir(dir)).sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
    for (const old of versions.slice(2)) if (old !== live) await rm(join(dir, old), { recursive: true, force: true });
  }
}
