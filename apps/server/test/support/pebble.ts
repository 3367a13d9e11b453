import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './nginx.js';

const exec = promisify(execFile);

/** A self-signed certificate (openssl) for the given names, e.g. pebble's own HTTPS or a platform host. */
export async function selfSignedCert(
  dir: string,
  names: string[],
  ips: string[] = [],
): Promise<{ certFile: string; keyFile: string; pem: string }> {
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${names[0] ?? ips[0]}`,
    '-addext',
    `subjectAltName=${san}`,
  ]);
  return { certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}

export interface Pebble {
  directoryUrl: string;
  /** PEM that pebble's own HTTPS endpoints are signed with. */
  tlsCa: string;
  /** Pebble's issuing root (from its management port): what clients trust for issued certificates. */
  issuingRoot(): Promise<string>;
  /** challtestsrv's DNS (`127.0.0.1:<port>`): what pebble resolves names with, usable by the platform's domain check too. */
  dnsServer: string;
  /** challtestsrv: answer A queries for `host` with `addresses`. */
  addA(host: string, addresses: string[]): Promise<void>;
  stop(): Promise<void>;
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * pebble + pebble-challtestsrv (Debian package `pebble`) on loopback ports. challtestsrv is pebble's
 * DNS: every name resolves to 127.0.0.1 unless told otherwise, so HTTP-01 validation reaches our
 * nginx on `httpPort` (pebble's config decides the port it validates on).
 */
export async function startPebble(options: { httpPort: number; tlsPort?: number }): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'pebble-'));
  const [acmePort, managementPort, dnsPort, challManagementPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const tls = await selfSignedCert(dir, ['localhost'], ['127.0.0.1']);
  const configFile = join(dir, 'pebble-config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.certFile,
        privateKey: tls.keyFile,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort ?? (await freePort()),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const output: string[] = [];
  const keep = (child: ChildProcess, label: string) => {
    child.stdout?.on('data', (d: Buffer) => output.push(`${label}: ${d.toString()}`));
    child.stderr?.on('data', (d: Buffer) => output.push(`${label}: ${d.toString()}`));
  };
  const challtestsrv = spawn(
    'pebble-challtestsrv',
    [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challManagementPort}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  keep(challtestsrv, 'challtestsrv');
  const pebble = spawn('pebble', ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // No sleeps before validation, no random nonce rejections, a fresh challenge for every order.
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  keep(pebble, 'pebble');

  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await get(directoryUrl, tls.pem).then(
      (r) => r.status === 200,
      () => false,
    );
    const dnsReady = await fetch(`http://127.0.0.1:${challManagementPort}/`).then(
      () => true,
      () => false,
    );
    if (ready && dnsReady) break;
    if (Date.now() > deadline || pebble.exitCode !== null || challtestsrv.exitCode !== null) {
      await Promise.all([stopChild(pebble), stopChild(challtestsrv)]);
      throw new Error(`pebble did not start:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    directoryUrl,
    tlsCa: tls.pem,
    dnsServer: `127.0.0.1:${dnsPort}`,
    async issuingRoot() {
      const res = await get(`https://127.0.0.1:${managementPort}/roots/0`, tls.pem);
      if (res.status !== 200) throw new Error(`pebble roots: HTTP ${res.status}`);
      return res.body;
    },
    async addA(host, addresses) {
      const res = await fetch(`http://127.0.0.1:${challManagementPort}/add-a`, {
        method: 'POST',
        body: JSON.stringify({ host: host.endsWith('.') ? host : `${host}.`, addresses }),
      });
      if (!res.ok) throw new Error(`challtestsrv add-a: HTTP ${res.status}`);
    },
    async stop() {
      await Promise.all([stopChild(pebble), stopChild(challtestsrv)]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
