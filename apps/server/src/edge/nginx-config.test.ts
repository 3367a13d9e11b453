import { describe, expect, it } from 'vitest';
import { edgeSettings, instanceRoute } from '../../test/support/edge-fixtures.js';
import { assertUpstreamAddress, EdgeInputError, isHostname, nginxString, normalizeHostname } from './edge-names.js';
import { challengePath, type RouteState } from './edge-router.js';
import { renderPlatformFiles } from './nginx-config.js';
import type { TlsCert } from './nginx-directives.js';
import { renderInstanceConf } from './nginx-instance-config.js';
import { renderStatusHtml, STATUS_PAGES } from './status-pages.js';

const settings = edgeSettings;
const route = instanceRoute;

/** Every line appears in the text (a run of plain directives to look for). */
const expectAll = (text: string, lines: string[]) => {
  for (const line of lines) expect(text).toContain(line);
};

const cert = (name: string, ocsp = false): TlsCert => ({
  certFile: `/srv/edge/certs/${name}/fullchain.pem`,
  keyFile: `/srv/edge/certs/${name}/privkey.pem`,
  ocsp,
});

describe('platform config', () => {
  it('renders the local (HTTP) edge: rate limits, internal routes, ACME, the 404 default server, the instance include', () => {
    const files = renderPlatformFiles(settings());
    const main = files.get('nginx.conf') ?? '';
    const locations = files.get('snippets/platform-locations.conf') ?? '';
    expectAll(main, [
      'server_tokens off;',
      'limit_req_zone $binary_remote_addr zone=edge_auth:10m rate=30r/m;',
      'limit_req_zone $binary_remote_addr zone=edge_api:10m rate=20r/s;',
      'limit_conn edge_conn 200;',
      'limit_req_status 429;',
      'gzip on;',
      'keys_zone=edge_static:20m',
      'return 404 "<!doctype html>',
      'include instances/*.conf;',
      'server_name cloud.example.com;',
      'root "/srv/app/admin";',
    ]);
    expect(main).toMatch(/listen 80 default_server;\s+server_name _;/);
    // Odoo limits per client address and instance; the key's variable exists without any instance.
    expect(main).toContain('limit_req_zone $binary_remote_addr$edge_instance zone=edge_odoo_login:20m rate=30r/m;');
    expect(main).toContain('limit_req_zone $binary_remote_addr$edge_instance zone=edge_odoo_rpc:20m rate=5r/s;');
    expect(main).toMatch(/server_name _;\s+# [^\n]+\s+set \$edge_instance "";/);
    // The access log has no query strings (tokens): path from $request_uri, never $request or $args.
    const logFormat = /log_format edge ([^;]+);/.exec(main)?.[1] ?? '';
    expect(logFormat).toContain('$request_method $edge_log_path$edge_log_query $server_protocol');
    expect(logFormat).not.toMatch(/\$request[" ]|\$args|\$query_string|\$request_uri|\$uri/);
    expect(main).toContain('"~^(?<edge_log_path_only>[^?]*)" $edge_log_path_only;');
    expect(main.match(/access_log /g)).toHaveLength(1);
    expect(main).not.toContain('ssl');
    // The API by allow-list: /api/v1/, the OpenAPI document and docs; the rest of /api is a 404 here.
    expect(locations).not.toMatch(/^location[^\n]*metrics/m);
    expect(locations).toMatch(/location \^~ \/api\/ \{\s+include snippets\/api-404.conf;/);
    expect(locations).toMatch(/location = \/api \{\s+include snippets\/api-404.conf;/);
    const proxied = [...locations.matchAll(/location ([=^~ ]+[^ ]+) \{\s+include snippets\/api-public.conf;/g)].map((m) => m[1]);
    expect(proxied).toEqual(['^~ /api/v1/', '= /api/openapi.json', '= /api/docs', '^~ /api/docs/']);
    expect(locations.match(/api-proxy.conf/g)).toHaveLength(1);
    expect(files.get('snippets/api-public.conf')).toContain('include snippets/api-proxy.conf;');
    expect(files.get('snippets/api-404.conf')).toContain('"code":"route_not_found"');
    expect(locations).toMatch(
      /location \^~ \/api\/v1\/auth\/ \{\s+limit_req zone=edge_auth burst=20 nodelay;\s+error_page 429 @api_rate_limited_auth;/,
    );
    expect(locations).toContain('default_type application/problem+json;');
    expect(locations).toContain('"code":"rate_limited"');
    expect(locations).toContain('"requestId":"$request_id"');
    // Every kind of challenge the EdgeRouter publishes is served from the webroot, on every host.
    const wellKnown = files.get('snippets/well-known.conf') ?? '';
    expect(wellKnown).toContain('root "/srv/edge/acme-webroot";');
    for (const kind of ['acme', 'domain-check'] as const) {
      expect(wellKnown).toContain(`location ^~ ${challengePath(kind, '')} {`);
    }
    expect(files.get('snippets/security-headers.conf')).toContain('add_header Strict-Transport-Security $edge_hsts always;');
  });

  it('renders TLS mode: modern protocols, HTTP→HTTPS redirects, stapling only when the certificate has an OCSP URL', () => {
    const main =
      renderPlatformFiles(settings({ httpsPort: 443, resolvers: ['9.9.9.9'] }), {
        publicHost: cert('cloud.example.com', true),
        adminHost: cert('admin'),
      }).get('nginx.conf') ?? '';
    expect(main).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(main).toContain('listen 443 ssl http2;');
    expect(main).toContain('ssl_reject_handshake on;');
    expect(main).toContain('return 301 https://$host$request_uri;');
    expect(main).toContain('resolver 9.9.9.9 valid=300s ipv6=off;');
    expect(main.match(/ssl_stapling on;/g)).toHaveLength(1);
    // Without a certificate a platform host stays on HTTP (so ACME can run) instead of breaking.
    const bootstrap = renderPlatformFiles(settings({ httpsPort: 8443 })).get('nginx.conf') ?? '';
    expect(bootstrap).toContain('no certificate yet');
    expect(bootstrap).not.toContain('return 301');
    const port = renderPlatformFiles(settings({ httpsPort: 8443 }), { publicHost: cert('c'), adminHost: null }).get('nginx.conf') ?? '';
    expect(port).toContain('return 301 https://$host:8443$request_uri;');
  });

  it('refuses settings that would not stay inside their directive', () => {
    expect(() => renderPlatformFiles(settings({ dir: '/srv/my edge' }))).toThrow(EdgeInputError);
    expect(() => renderPlatformFiles(settings({ webRoot: '/srv/"x";' }))).toThrow(EdgeInputError);
    expect(() => renderPlatformFiles(settings({ publicHost: 'cloud.example.com; include /etc/shadow' }))).toThrow(EdgeInputError);
    expect(() => renderPlatformFiles(settings({ apiUpstream: '127.0.0.1:3000 backup; x' }))).toThrow(EdgeInputError);
    expect(() => renderPlatformFiles(settings({ listenAddress: '0.0.0.0:80;' }))).toThrow(EdgeInputError);
    expect(() => renderPlatformFiles(settings({ user: 'root; daemon off' }))).toThrow();
    expect(renderPlatformFiles(settings({ user: 'www-data' })).get('nginx.conf')).toMatch(/^user www-data;$/m);
    expect(() => renderPlatformFiles(settings({ resolvers: ['1.1.1.1 ipv6=on'] }))).toThrow();
  });
});

describe('instance config', () => {
  it('routes an active instance to its loopback ports with what Odoo needs', () => {
    const conf = renderInstanceConf(route(), settings());
    expectAll(conf, [
      'server_name acme.cloud.example.com erp.acme-corp.com;',
      'upstream instance_0b6f2a4e_6a43_4c1e_9d2e_0d1f6a1e2b3c_http {',
      'server 127.0.0.1:20010 max_fails=0;',
      'server 127.0.0.1:20011 max_fails=0;',
      'client_max_body_size 512m;',
      'include snippets/odoo-proxy.conf;',
      'proxy_set_header Connection $connection_upgrade;',
      'location ~* ^/web/database(/|$) {',
      'proxy_cache_key "0b6f2a4e-6a43-4c1e-9d2e-0d1f6a1e2b3c$request_uri";',
      'error_page 502 504 = @instance_unavailable;',
      'include snippets/well-known.conf;',
    ]);
    expect(conf).toMatch(/location ~ \^\/\(websocket\|longpolling\)\(\/\|\$\) \{\s+proxy_pass http:\/\/instance_\w+_websocket;/);
    expect(conf).not.toContain('X-Frame-Options');
    expect(conf).not.toContain('ssl_certificate');
  });

  it("limits Odoo's password checks and external API per client address and instance", () => {
    const conf = renderInstanceConf(route(), settings());
    expect(conf).toContain('set $edge_instance "0b6f2a4e-6a43-4c1e-9d2e-0d1f6a1e2b3c";');
    expect(conf).toMatch(
      /location ~ \^\/\(web\/login\|web\/session\/authenticate\|web\/reset_password\|xmlrpc\(\/2\)\?\/common\)\(\/\|\$\) \{\s+limit_req zone=edge_odoo_login burst=20 nodelay;/,
    );
    expect(conf).toMatch(
      /location ~ \^\/\(jsonrpc\|xmlrpc\(\/2\)\?\/object\|json\/2\)\(\/\|\$\) \{\s+limit_req zone=edge_odoo_rpc burst=100 nodelay;\s+error_page 429 @too_many_rpc;/,
    );
    const paths = (re: RegExp) =>
      [
        '/web/login',
        '/web/login/totp',
        '/web/session/authenticate',
        '/xmlrpc/common',
        '/xmlrpc/2/common',
        '/web/reset_password',
        '/jsonrpc',
        '/xmlrpc/2/object',
        '/xmlrpc/object',
        '/json/2/res.partner/search',
        '/web/dataset/call_kw',
        '/web/loginx',
        '/jsonrpcx',
      ].filter((p) => re.test(p));
    expect(paths(/^\/(web\/login|web\/session\/authenticate|web\/reset_password|xmlrpc(\/2)?\/common)(\/|$)/)).toHaveLength(6);
    expect(paths(/^\/(jsonrpc|xmlrpc(\/2)?\/object|json\/2)(\/|$)/)).toEqual([
      '/jsonrpc',
      '/xmlrpc/2/object',
      '/xmlrpc/object',
      '/json/2/res.partner/search',
    ]);
  });

  it.each(Object.entries(STATUS_PAGES))('answers every request of a %s instance with its status page', (state, page) => {
    const conf = renderInstanceConf(route({ state: state as RouteState }), settings());
    expect(conf).toContain(`return 503 "<!doctype html>`);
    expect(conf).toContain(page.title);
    expect(conf).toContain(`add_header Retry-After ${page.retryAfter} always;`);
    expect(conf).toContain('include snippets/well-known.conf;');
    expect(conf).not.toContain('proxy_pass');
    expect(conf).not.toContain('upstream ');
  });

  it('gives hosts with a certificate a TLS server and a redirect, and keeps the others on HTTP', () => {
    const conf = renderInstanceConf(
      route(),
      settings({ httpsPort: 443 }),
      new Map([['erp.acme-corp.com', cert('erp.acme-corp.com', true)]]),
    );
    const servers = conf.split(/^server \{/m).slice(1);
    expect(servers).toHaveLength(3);
    expect(servers[0]).toMatch(/listen 80;\s+server_name acme.cloud.example.com;/);
    expect(servers[0]).toContain('proxy_pass');
    expect(servers[1]).toMatch(/listen 80;\s+server_name erp.acme-corp.com;[\s\S]*return 301 https:\/\/\$host\$request_uri;/);
    expect(servers[2]).toMatch(
      /listen 443 ssl http2;\s+server_name erp.acme-corp.com;\s+ssl_certificate "\/srv\/edge\/certs\/erp.acme-corp.com\/fullchain.pem";/,
    );
    expect(servers[2]).toContain('ssl_stapling on;');
    // Local mode ignores certificates.
    expect(renderInstanceConf(route(), settings(), new Map([['erp.acme-corp.com', cert('x')]]))).not.toContain('ssl');
  });

  it("refuses the platform's own hosts and an empty host list", () => {
    expect(() => renderInstanceConf(route({ hosts: ['admin.cloud.example.com'] }), settings())).toThrow(/platform's own hosts/);
    expect(() => renderInstanceConf(route({ hosts: ['Cloud.Example.com.'] }), settings())).toThrow(EdgeInputError);
    expect(() => renderInstanceConf(route({ hosts: [] }), settings())).toThrow(EdgeInputError);
  });

  it('lower-cases and de-duplicates hosts', () => {
    const conf = renderInstanceConf(
      route({ hosts: ['ACME.cloud.example.com', 'acme.cloud.example.com.', 'Erp.Acme-Corp.com'] }),
      settings(),
    );
    expect(conf).toContain('server_name acme.cloud.example.com erp.acme-corp.com;');
  });
});

describe('injection: nothing reaches a config file unchecked', () => {
  const hostile = [
    'evil.com; return 200 "owned"',
    'evil.com;',
    'a b.com',
    'a\nb.com',
    'a\tb.com',
    'a}.com',
    'a{.com',
    '$host.com',
    'a"b.com',
    "a'b.com",
    'a#b.com',
    'a\\b.com',
    'a/b.com',
    'a..b.com',
    '.a.com',
    '-a.com',
    'a-.com',
    '*.a.com',
    '1.2.3.4',
    'ä.com',
    'a_b.com',
    `${'a'.repeat(64)}.com`,
    `${'abcdefghi.'.repeat(26)}com`,
    '',
  ];

  it.each(hostile)('rejects host %j', (host) => {
    expect(isHostname(host)).toBe(false);
    expect(() => normalizeHostname(host)).toThrow(EdgeInputError);
    expect(() => renderInstanceConf(route({ hosts: ['ok.example.com', host] }), settings())).toThrow(EdgeInputError);
  });

  it.each(['acme;', 'a b', 'a}', 'ACME', '-a', `${'a'.repeat(64)}`, 'a.b', ''])('rejects slug %j', (slug) => {
    expect(() => renderInstanceConf(route({ slug }), settings())).toThrow(EdgeInputError);
  });

  it.each(['../../etc/passwd', 'a;b', 'a b', 'a/b', '', '-x', 'a'.repeat(65)])('rejects instance id %j', (instanceId) => {
    expect(() => renderInstanceConf(route({ instanceId }), settings())).toThrow(EdgeInputError);
  });

  it.each([
    '127.0.0.1:20010; include /etc/shadow',
    '127.0.0.1',
    '127.0.0.1:0',
    '127.0.0.1:99999',
    'unix:/tmp/x.sock',
    '127.0.0.1:80 backup',
    'http://127.0.0.1:80',
    '256.1.1.1:80',
  ])('rejects upstream %j', (address) => {
    expect(() => assertUpstreamAddress(address)).toThrow(EdgeInputError);
    expect(() => renderInstanceConf(route({ upstream: { http: address, websocket: '127.0.0.1:1' } }), settings())).toThrow(EdgeInputError);
  });

  it('rejects an unknown state', () => {
    expect(() => renderInstanceConf(route({ state: 'active; return 200' as RouteState }), settings())).toThrow(EdgeInputError);
  });

  it('accepts ordinary names', () => {
    for (const host of ['localhost', 'a.localhost', 'xn--bcher-kva.example', 'shop-1.customer.example.co.uk', `${'a'.repeat(63)}.com`]) {
      expect(isHostname(host), host).toBe(true);
    }
    expect(normalizeHostname(' Shop.Example.COM. ')).toBe('shop.example.com');
    expect(assertUpstreamAddress('[::1]:8069')).toBe('[::1]:8069');
  });

  it('quotes text for nginx and refuses "$", which nginx would expand', () => {
    expect(nginxString('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"');
    expect(() => nginxString('costs $5')).toThrow(EdgeInputError);
    for (const page of Object.values(STATUS_PAGES)) expect(renderStatusHtml(page)).not.toMatch(/[$'\n]/);
  });
});
