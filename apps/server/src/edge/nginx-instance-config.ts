import { assertInstanceId, assertLabel, assertUpstreamAddress, EdgeInputError, normalizeHostname } from './edge-names.js';
import type { InstanceRoute, RouteState } from './edge-router.js';
import type { EdgeSettings } from './edge-settings.js';
import { httpsRedirect, listenHttp, listenHttps, statusPageDirectives, type TlsCert, tlsDirectives } from './nginx-directives.js';
import { DATABASE_MANAGER_PAGE, STATUS_PAGES, UPSTREAM_DOWN_PAGE } from './status-pages.js';

const STATES: readonly RouteState[] = ['active', 'provisioning', 'stopped', 'failed', 'suspended'];

/** A route whose every field has been checked; hosts lower-cased and de-duplicated. */
export function validateRoute(route: InstanceRoute, settings: Pick<EdgeSettings, 'publicHost' | 'adminHost'>): InstanceRoute {
  assertInstanceId(route.instanceId);
  assertLabel(route.slug);
  if (!STATES.includes(route.state)) throw new EdgeInputError('state', String(route.state), `must be one of ${STATES.join(', ')}`);
  const hosts = [...new Set(route.hosts.map((h, i) => normalizeHostname(h, `hosts[${i}]`)))];
  if (hosts.length === 0) throw new EdgeInputError('hosts', '', 'at least one host is required');
  const reserved = new Set([settings.publicHost.toLowerCase(), settings.adminHost.toLowerCase()]);
  for (const host of hosts) {
    if (reserved.has(host)) throw new EdgeInputError('hosts', host, "is one of the platform's own hosts");
  }
  return {
    ...route,
    hosts,
    upstream: {
      http: assertUpstreamAddress(route.upstream.http, 'upstream.http'),
      websocket: assertUpstreamAddress(route.upstream.websocket, 'upstream.websocket'),
    },
  };
}

const upstreamName = (instanceId: string, kind: 'http' | 'websocket') => `instance_${instanceId.replaceAll('-', '_')}_${kind}`;

// Odoo sets its own framing and content policies (it embeds its own frames): only these are added.
const ODOO_HEADERS = `add_header X-Content-Type-Options $edge_nosniff always;
add_header Referrer-Policy $edge_referrer_policy always;
add_header Strict-Transport-Security $edge_hsts always;`;

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => (l ? `${by}${l}` : l))
    .join('\n');

function activeLocations(route: InstanceRoute, settings: EdgeSettings): string {
  const http = upstreamName(route.instanceId, 'http');
  const websocket = upstreamName(route.instanceId, 'websocket');
  const id = route.instanceId;
  return `include snippets/well-known.conf;
${ODOO_HEADERS}
client_max_body_size 512m;
# The container restarting or not answering yet: the platform's page, never a bare 502.
error_page 502 504 = @instance_unavailable;

location / {
    proxy_pass http://${http};
    include snippets/odoo-proxy.conf;
}

# Odoo's bus: the HTTP port in threaded mode, the gevent port with workers (the route says which). /longpolling is the pre-16 name.
location ~ ^/(websocket|longpolling)(/|$) {
    proxy_pass http://${websocket};
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_redirect off;
    proxy_read_timeout 720s;
    proxy_send_timeout 720s;
}

# The database manager (create, drop, restore, list) and the XML-RPC db service never reach Odoo.
location ~* ^/web/database(/|$) {
${indent(statusPageDirectives(DATABASE_MANAGER_PAGE, ''), '    ')}
}
location ~* ^/xmlrpc(/2)?/db(/|$) {
    return 404;
}

# Where Odoo checks a password: the login form (and its TOTP step), the JSON login, the XML-RPC
# login service, and the reset mail. Limited per client address and instance (docs/edge.md).
location ~ ^/(web/login|web/session/authenticate|web/reset_password|xmlrpc(/2)?/common)(/|$) {
    limit_req zone=edge_odoo_login burst=${settings.limits.odooLoginBurst} nodelay;
    error_page 429 @too_many_requests;
    error_page 502 504 = @instance_unavailable;
    proxy_pass http://${http};
    include snippets/odoo-proxy.conf;
}
# The external API: every call carries a password or API key. A looser limit, for integrations.
location ~ ^/(jsonrpc|xmlrpc(/2)?/object|json/2)(/|$) {
    limit_req zone=edge_odoo_rpc burst=${settings.limits.odooRpcBurst} nodelay;
    error_page 429 @too_many_rpc;
    error_page 502 504 = @instance_unavailable;
    proxy_pass http://${http};
    include snippets/odoo-proxy.conf;
}

# Static files and asset bundles: cached at the edge (never with a cookie: Set-Cookie is dropped).
location ~* ^/[^/]+/static/ {
    proxy_pass http://${http};
    include snippets/odoo-proxy.conf;
    proxy_cache edge_static;
    proxy_cache_key "${id}$request_uri";
    proxy_cache_valid 200 301 302 60m;
    proxy_cache_use_stale error timeout updating http_502 http_503 http_504;
    proxy_cache_lock on;
    proxy_ignore_headers Set-Cookie;
    proxy_hide_header Set-Cookie;
    expires 7d;
${indent(ODOO_HEADERS, '    ')}
    add_header X-Cache-Status $upstream_cache_status always;
}
location ^~ /web/assets/ {
    proxy_pass http://${http};
    include snippets/odoo-proxy.conf;
    proxy_cache edge_static;
    proxy_cache_key "${id}$request_uri";
    proxy_cache_valid 200 60m;
    proxy_cache_use_stale error timeout updating http_502 http_503 http_504;
    proxy_cache_lock on;
    proxy_ignore_headers Set-Cookie;
    proxy_hide_header Set-Cookie;
${indent(ODOO_HEADERS, '    ')}
    add_header X-Cache-Status $upstream_cache_status always;
}

location @instance_unavailable {
${indent(statusPageDirectives(UPSTREAM_DOWN_PAGE, ''), '    ')}
}
location @too_many_requests {
    include snippets/odoo-429.conf;
}
location @too_many_rpc {
    include snippets/odoo-429-rpc.conf;
}`;
}

function statusLocations(state: Exclude<RouteState, 'active'>): string {
  return `include snippets/well-known.conf;
location / {
${indent(statusPageDirectives(STATUS_PAGES[state], ''), '    ')}
}`;
}

/**
 * `$edge_instance` is the key of the Odoo rate limits (with the client address: all hosts of the
 * instance share one budget) and the instance id in the access log (per-instance request counts).
 */
function server(instanceId: string, listen: string, hosts: string[], body: string, tls?: TlsCert): string {
  return `server {
    ${listen}
    server_name ${hosts.join(' ')};
${tls ? `${tlsDirectives(tls, '    ')}\n` : ''}    set $edge_instance "${instanceId}";
${indent(body, '    ')}
}`;
}

/**
 * One instance's file. Plain-HTTP hosts (local mode, or a host still waiting for its certificate)
 * are served on the HTTP port; in TLS mode hosts with a certificate get a TLS server per
 * certificate and a redirect on the HTTP port. ACME challenges are answered on every host.
 */
export function renderInstanceConf(input: InstanceRoute, settings: EdgeSettings, certs: ReadonlyMap<string, TlsCert> = new Map()): string {
  const route = validateRoute(input, settings);
  const body = route.state === 'active' ? activeLocations(route, settings) : statusLocations(route.state);
  const tlsMode = settings.httpsPort !== null;
  const plain = route.hosts.filter((h) => !tlsMode || !certs.has(h));
  const secured = new Map<string, { cert: TlsCert; hosts: string[] }>();
  if (tlsMode) {
    for (const host of route.hosts) {
      const cert = certs.get(host);
      if (!cert) continue;
      const group = secured.get(cert.certFile) ?? { cert, hosts: [] };
      group.hosts.push(host);
      secured.set(cert.certFile, group);
    }
  }

  const parts = [`# Instance ${route.instanceId} (${route.slug}), state ${route.state}. Rendered by the platform: do not edit.`];
  if (route.state === 'active') {
    parts.push(`upstream ${upstreamName(route.instanceId, 'http')} {
    # Published on loopback with a fixed port: container restarts and IP changes cannot break it,
    # and max_fails=0 never marks the only server down after a restart.
    server ${route.upstream.http} max_fails=0;
    keepalive 8;
}
upstream ${upstreamName(route.instanceId, 'websocket')} {
    server ${route.upstream.websocket} max_fails=0;
}`);
  }
  if (plain.length > 0) parts.push(server(route.instanceId, listenHttp(settings), plain, body));
  const securedHosts = [...secured.values()].flatMap((g) => g.hosts);
  if (securedHosts.length > 0) {
    parts.push(
      server(
        route.instanceId,
        listenHttp(settings),
        securedHosts,
        `include snippets/well-known.conf;\nlocation / {\n    ${httpsRedirect(settings)}\n}`,
      ),
    );
  }
  for (const group of secured.values()) parts.push(server(route.instanceId, listenHttps(settings), group.hosts, body, group.cert));
  return `${parts.join('\n\n')}\n`;
}
