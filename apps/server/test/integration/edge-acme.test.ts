import { mkdir } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeError, type AcmeIssuer, type IssuedCertificate } from '../../src/edge/acme-issuer.js';
import type { InstanceRoute } from '../../src/edge/edge-router.js';
import { Http01AcmeIssuer } from '../../src/edge/http01-acme-issuer.js';
import { createTestEdge, request, type TestEdge } from '../support/nginx.js';
import { type Pebble, selfSignedCert, startPebble } from '../support/pebble.js';
import { type StandIn, startHttpStandIn, startWebsocketStandIn } from '../support/upstream.js';

let edge: TestEdge;
let pebble: Pebble;
let issuer: AcmeIssuer;
let api: StandIn;
let odoo: StandIn;
let gevent: StandIn;
let platformCa: string;

const DOMAIN = 'shop.customer-test.example';

const route = (): InstanceRoute => ({
  instanceId: '88888888-8888-4888-8888-888888888888',
  slug: 'shop',
  hosts: ['shop.localhost', DOMAIN],
  upstream: { http: `127.0.0.1:${odoo.port}`, websocket: `127.0.0.1:${gevent.port}` },
  state: 'active',
});

/** GET over TLS through the edge, SNI and Host set to `host`, the name forced to resolve to 127.0.0.1. */
function fetchTls(
  host: string,
  path: string,
  ca: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host,
        port: edge.httpsPort ?? 0,
        path,
        servername: host,
        ca,
        agent: false,
        lookup: (_hostname, options, callback) => {
          if ((options as { all?: boolean }).all)
            (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
          else (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4);
        },
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '');
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  [api, odoo, gevent] = await Promise.all([startHttpStandIn('api'), startHttpStandIn('odoo'), startWebsocketStandIn()]);
  edge = await createTestEdge({ apiPort: api.port, tls: true, baseDomain: 'localhost' });
  // The platform host has a certificate of its own (self-signed here); the admin host has none yet.
  const platformCertDir = join(edge.router.paths.certs, 'localhost');
  await mkdir(platformCertDir, { recursive: true });
  platformCa = (await selfSignedCert(platformCertDir, ['localhost'])).pem;
  await edge.start();
  await edge.router.applyRoute(route());
  pebble = await startPebble({ httpPort: edge.httpPort });
  issuer = new Http01AcmeIssuer({
    directoryUrl: pebble.directoryUrl,
    caBundle: pebble.tlsCa,
    accountKeyFile: join(edge.dir, 'acme', 'account.key'),
    email: 'ops@example.com',
    challenges: edge.router,
    certsDir: edge.router.paths.certs,
    pollMinMs: 100,
    pollMaxMs: 500,
  });
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
  await edge?.stop();
  await Promise.all([api?.close(), odoo?.close(), gevent?.close()]);
});

describe('TLS mode and ACME against pebble', () => {
  it('serves platform hosts with a certificate over TLS (HSTS, redirect from HTTP), and the others over HTTP until they have one', async () => {
    const web = await fetchTls('localhost', '/api/v1/health', platformCa);
    expect(web.status).toBe(200);
    expect(web.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(JSON.parse(web.body).headers['x-forwarded-proto']).toBe('https');

    const redirect = await request(edge.httpPort, 'localhost', '/team?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://localhost:${edge.httpsPort}/team?x=1`);

    // No certificate yet: plain HTTP, no redirect into a handshake that would fail.
    expect((await request(edge.httpPort, 'admin.localhost', '/api/v1/health')).status).toBe(200);
    expect(JSON.parse((await request(edge.httpPort, DOMAIN, '/')).body).upstream).toBe('odoo');
    // Unknown names get no certificate at all.
    await expect(fetchTls('unknown.example.org', '/', platformCa)).rejects.toThrow();
  });

  let first: IssuedCertificate;

  it('issues a certificate for a custom domain through HTTP-01 on the edge, then serves the domain over HTTPS with it', async () => {
    first = await issuer.issue(DOMAIN, [DOMAIN]);
    expect(first.domains).toEqual([DOMAIN]);
    expect(first.notAfter.getTime()).toBeGreaterThan(Date.now());
    await edge.router.applyRoute(route());

    const root = await pebble.issuingRoot();
    const res = await fetchTls(DOMAIN, '/odoo', root);
    expect(res.status).toBe(200);
    expect(res.serial).toBe(first.serial);
    const seen = JSON.parse(res.body);
    expect(seen.upstream).toBe('odoo');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.headers['x-frame-options']).toBeUndefined();

    // Now that the domain has a certificate, HTTP redirects to it; ACME challenges stay on HTTP.
    const redirect = await request(edge.httpPort, DOMAIN, '/web?db=x');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${DOMAIN}:${edge.httpsPort}/web?db=x`);
    // The subdomain has no certificate (and no wildcard): still plain HTTP.
    expect((await request(edge.httpPort, 'shop.localhost', '/')).status).toBe(200);
  });

  it('renews (a second order): the route picks up the new certificate on apply', async () => {
    const renewed = await issuer.issue(DOMAIN, [DOMAIN]);
    expect(renewed.serial).not.toBe(first.serial);
    await edge.router.applyRoute(route());
    const res = await fetchTls(DOMAIN, '/', await pebble.issuingRoot());
    expect(res.serial).toBe(renewed.serial);
    const listed = await issuer.list();
    // Listed soonest expiry first, for the renewal job and its report (the platform's own is there too).
    expect(listed.find((c) => c.name === DOMAIN)?.serial).toBe(renewed.serial);
    expect(listed.map((c) => c.name).sort()).toEqual(['localhost', DOMAIN]);
  });

  it("surfaces the CA's own error when the domain does not reach this platform", async () => {
    const bad = 'elsewhere.customer-test.example';
    await pebble.addA(bad, ['127.0.0.2']);
    const error = await issuer.issue(bad, [bad]).catch((e) => e);
    expect(error).toBeInstanceOf(AcmeError);
    expect(error.type).toBe('urn:ietf:params:acme:error:connection');
    expect(error.domain).toBe(bad);
    expect(error.detail).toContain('127.0.0.2');
    expect(await issuer.current(bad)).toBeNull();
  });

  it('surfaces refusals of ACME requests with their problem type', async () => {
    // The CA refuses the account: its problem document (type and detail) reaches the caller.
    const refused = new Http01AcmeIssuer({
      directoryUrl: pebble.directoryUrl,
      caBundle: pebble.tlsCa,
      accountKeyFile: join(edge.dir, 'acme', 'other-account.key'),
      email: 'not an address@@',
      challenges: edge.router,
      certsDir: edge.router.paths.certs,
    });
    const error = await refused.issue('refused.customer-test.example', ['refused.customer-test.example']).catch((e) => e);
    expect(error).toBeInstanceOf(AcmeError);
    expect(error.type).toBe('urn:ietf:params:acme:error:invalidContact');
    expect(error.detail.length).toBeGreaterThan(0);
  });
});
