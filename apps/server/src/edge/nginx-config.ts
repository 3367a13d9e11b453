import { join } from 'node:path';
import {
  assertListenAddress,
  assertPath,
  assertPort,
  assertUpstreamAddress,
  isIpv4,
  nginxString,
  normalizeHostname,
} from './edge-names.js';
import { renderStatusHtml, type StatusPage, TOO_MANY_REQUESTS_PAGE, UNKNOWN_HOST_PAGE } from './status-pages.js';

/**
 * Pure renderers of the edge's nginx configuration: the main file with the platform's own hosts
 * (this file) and one file per instance (nginx-instance-config.ts). Every value is validated by
 * edge-names.ts before it is written. The config tree uses relative `include`s, so a copy of it in
 * a staging directory validates (nginx -t) exactly as the live one would.
 */

export interface EdgeLimits {
  /** Auth endpoints (/api/v1/auth/): requests per minute per client address, and the burst allowed. */
  authPerMinute: number;
  authBurst: number;
  /** The rest of /api/: requests per second per address, and burst. */
  apiPerSecond: number;
  apiBurst: number;
  /** Odoo's login form on instance hosts: per minute per address, and burst. */
  odooLoginPerMinute: number;
  odooLoginBurst: number;
  /** Open connections per client address, all hosts together. */
  connectionsPerIp: number;
}

export const DEFAULT_LIMITS: EdgeLimits = {
  authPerMinute: 30,
  authBurst: 20,
  apiPerSecond: 20,
  apiBurst: 60,
  odooLoginPerMinute: 30,
  odooLoginBurst: 20,
  connectionsPerIp: 200,
};

export interface EdgeSettings {
  /** Absolute edge directory: nginx prefix, config tree, logs, caches, certificates, ACME webroot. */
  dir: string;
  /** `user` directive (`root` when the platform runs as root in local mode); null to omit it. */
  user: string | null;
  workerProcesses: number | 'auto';
  /** Empty: all addresses. */
  listenAddress: string;
  httpPort: number;
  /** null: local mode, plain HTTP only. Otherwise hosts that have a certificate are served over TLS. */
  httpsPort: number | null;
  publicHost: string;
  adminHost: string;
  /** The built SPAs. */
  webRoot: string;
  adminRoot: string;
  /** address:port of the API. */
  apiUpstream: string;
  /** DNS resolvers nginx uses for OCSP stapling (TLS mode). */
  resolvers: string[];
  limits: EdgeLimits;
  mimeTypesFile: string;
}

export interface TlsCert {
  certFile: string;
  keyFile: string;
  /** The certificate names an OCSP responder: staple its answers. */
  ocsp: boolean;
}

export interface EdgePaths {
  dir: string;
  mainConf: string;
  instances: string;
  snippets: string;
  staging: string;
  logs: string;
  temp: string;
  cache: string;
  pid: string;
  webroot: string;
  certs: string;
  lockFile: string;
}

export function edgePaths(dir: string): EdgePaths {
  return {
    dir,
    mainConf: join(dir, 'nginx.conf'),
    instances: join(dir, 'instances'),
    snippets: join(dir, 'snippets'),
    staging: join(dir, 'staging'),
    logs: join(dir, 'logs'),
    temp: join(dir, 'temp'),
    cache: join(dir, 'cache'),
    pid: join(dir, 'nginx.pid'),
    webroot: join(dir, 'acme-webroot'),
    certs: join(dir, 'certs'),
    lockFile: join(dir, 'edge.lock'),
  };
}

/** Checks and normalizes the settings once; the renderers below trust the result. */
export function validateSettings(settings: EdgeSettings): EdgeSettings {
  assertPath(settings.dir, 'dir');
  assertPath(settings.webRoot, 'webRoot');
  assertPath(settings.adminRoot, 'adminRoot');
  assertPath(settings.mimeTypesFile, 'mimeTypesFile');
  assertListenAddress(settings.listenAddress);
  assertPort(settings.httpPort, 'httpPort');
  if (settings.httpsPort !== null) assertPort(settings.httpsPort, 'httpsPort');
  assertUpstreamAddress(settings.apiUpstream, 'apiUpstream');
  if (settings.user !== null && !/^[a-z_][a-z0-9_-]{0,31}$/.test(settings.user)) throw new Error(`invalid nginx user: ${settings.user}`);
  if (settings.workerProcesses !== 'auto' && !(Number.isInteger(settings.workerProcesses) && settings.workerProcesses > 0)) {
    throw new Error('workerProcesses must be "auto" or a positive integer');
  }
  for (const r of settings.resolvers) if (!isIpv4(r) && !/^\[[0-9a-fA-F:]+\]$/.test(r)) throw new Error(`invalid resolver: ${r}`);
  for (const [name, value] of Object.entries(settings.limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`limits.${name} must be a positive integer`);
  }
  return {
    ...settings,
    publicHost: normalizeHostname(settings.publicHost, 'publicHost'),
    adminHost: normalizeHostname(settings.adminHost, 'adminHost'),
  };
}

export const listenHttp = (s: EdgeSettings, extra = '') => `listen ${s.listenAddress ? `${s.listenAddress}:` : ''}${s.httpPort}${extra};`;
export const listenHttps = (s: EdgeSettings, extra = '') =>
  `listen ${s.listenAddress ? `${s.listenAddress}:` : ''}${s.httpsPort} ssl http2${extra};`;

/** `return <status> "<page>"` with its headers, for a location or a server. */
export function statusPageDirectives(page: StatusPage, indent: string): string {
  const lines = ['default_type "text/html; charset=utf-8";', 'include snippets/security-headers.conf;'];
  if (page.retryAfter !== null) lines.push(`add_header Retry-After ${page.retryAfter} always;`);
  lines.push('add_header Cache-Control "no-store" always;');
  lines.push(`return ${page.status} ${nginxString(renderStatusHtml(page))};`);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

export function tlsDirectives(cert: TlsCert, indent: string): string {
  const lines = [
    `ssl_certificate "${assertPath(cert.certFile, 'certFile')}";`,
    `ssl_certificate_key "${assertPath(cert.keyFile, 'keyFile')}";`,
  ];
  if (cert.ocsp) lines.push('ssl_stapling on;', 'ssl_stapling_verify on;', `ssl_trusted_certificate "${cert.certFile}";`);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

/** https://host[:port]$request_uri, the port only when it is not 443. */
export function httpsRedirect(s: EdgeSettings): string {
  return `return 301 https://$host${s.httpsPort === 443 ? '' : `:${s.httpsPort}`}$request_uri;`;
}

// The problem type URL prefix is the API's (http/problem.ts).
function rateLimitedProblem(detail: string): string {
  return JSON.stringify({
    type: 'https://docs.odoo-saas.local/problems/rate_limited',
    title: 'Too Many Requests',
    status: 429,
    code: 'rate_limited',
    detail,
    requestId: '@REQUEST_ID@',
  }).replace('@REQUEST_ID@', '$request_id');
}

function securityHeadersSnippet(): string {
  return `# Security headers for the platform's pages. The $edge_* values are maps in nginx.conf: empty
# (= header not added) when the upstream already sent that header, e.g. the API's own CSP for
# /api/docs. Included again in every location that sets add_header itself, because nginx drops
# inherited add_header lines there.
add_header X-Content-Type-Options $edge_nosniff always;
add_header Referrer-Policy $edge_referrer_policy always;
add_header X-Frame-Options $edge_frame_options always;
add_header Content-Security-Policy $edge_csp always;
add_header Strict-Transport-Security $edge_hsts always;
`;
}

function wellKnownSnippet(p: EdgePaths): string {
  return `# ACME HTTP-01 challenges (and the platform's domain checks), for every host.
location ^~ /.well-known/acme-challenge/ {
    root "${p.webroot}";
    default_type text/plain;
    try_files $uri =404;
}
location ^~ /.well-known/odoo-saas/ {
    root "${p.webroot}";
    default_type text/plain;
    try_files $uri =404;
}
`;
}

function apiProxySnippet(): string {
  return `# Proxy settings for the API (included inside /api/ locations).
proxy_pass http://saas_api;
proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $host;
proxy_set_header X-Forwarded-Host $http_host;
proxy_set_header X-Forwarded-Proto $scheme;
# We are the outermost proxy: replace, never append to, what the client sent.
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Request-Id $request_id;
proxy_read_timeout 60s;
`;
}

function platformLocationsSnippet(s: EdgeSettings): string {
  return `# The web app and admin dashboard hosts: the SPA (root set by the server block) and the API.
include snippets/security-headers.conf;
include snippets/well-known.conf;

# Internal only: scraped on the API's own port, never through the edge.
location = /api/metrics {
    return 404;
}
location ^~ /api/internal/ {
    return 404;
}

# Sign-in, sign-up, password resets: tight per-address limit.
location ^~ /api/v1/auth/ {
    limit_req zone=edge_auth burst=${s.limits.authBurst} nodelay;
    error_page 429 @api_rate_limited_auth;
    include snippets/api-proxy.conf;
}

location /api/ {
    limit_req zone=edge_api burst=${s.limits.apiBurst} nodelay;
    error_page 429 @api_rate_limited;
    include snippets/api-proxy.conf;
}

location @api_rate_limited_auth {
    default_type application/problem+json;
    include snippets/security-headers.conf;
    add_header Retry-After ${Math.ceil(60 / s.limits.authPerMinute)} always;
    add_header Cache-Control "no-store" always;
    return 429 ${nginxStringAllowingVars(rateLimitedProblem('Too many sign-in requests from this address. Try again later.'))};
}

location @api_rate_limited {
    default_type application/problem+json;
    include snippets/security-headers.conf;
    add_header Retry-After ${Math.max(1, Math.ceil(1 / s.limits.apiPerSecond))} always;
    add_header Cache-Control "no-store" always;
    return 429 ${nginxStringAllowingVars(rateLimitedProblem('Too many requests from this address. Try again later.'))};
}

location /assets/ {
    # Vite puts a content hash in every file name under /assets/.
    include snippets/security-headers.conf;
    # No "always": a 404 must not be cached for a year.
    add_header Cache-Control "public, max-age=31536000, immutable";
    try_files $uri =404;
}

location = /index.html {
    include snippets/security-headers.conf;
    add_header Cache-Control "no-cache" always;
}

location / {
    try_files $uri /index.html;
}
`;
}

/** Like nginxString, but for our own constant text that deliberately uses `$request_id`. */
function nginxStringAllowingVars(text: string): string {
  if (/\$(?!request_id\b)/.test(text)) throw new Error('unexpected variable in constant text');
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function platformServers(s: EdgeSettings, host: string, root: string, cert: TlsCert | null, label: string): string {
  const body = `        server_name ${host};
        root "${root}";
        include snippets/platform-locations.conf;`;
  if (s.httpsPort === null || !cert) {
    const note = s.httpsPort === null ? '' : '    # TLS mode, but no certificate yet: plain HTTP until one is issued.\n';
    return `${note}    # ${label}
    server {
        ${listenHttp(s)}
${body}
    }`;
  }
  return `    # ${label}
    server {
        ${listenHttp(s)}
        server_name ${host};
        include snippets/well-known.conf;
        location / {
            ${httpsRedirect(s)}
        }
    }
    server {
        ${listenHttps(s)}
${tlsDirectives(cert, '        ')}
${body}
    }`;
}

export interface PlatformCerts {
  publicHost: TlsCert | null;
  adminHost: TlsCert | null;
}

/**
 * Every file of the edge's config tree except the instance files, as paths relative to the config
 * directory. Written together into the live or the staging directory.
 */
export function renderPlatformFiles(
  input: EdgeSettings,
  certs: PlatformCerts = { publicHost: null, adminHost: null },
): Map<string, string> {
  const s = validateSettings(input);
  const p = edgePaths(s.dir);
  const tls = s.httpsPort !== null;
  const limits = s.limits;
  const main = `# Edge proxy: rendered by the platform (apps/server/src/edge/nginx-config.ts) from its own
# state. Do not edit: every change is overwritten. Relative includes resolve against the directory
# of this file, which lets a staging copy of the tree be validated with nginx -t before it goes live.
${s.user ? `user ${s.user};` : '# (no user directive: workers run as the current user)'}
worker_processes ${s.workerProcesses};
pid "${p.pid}";
error_log "${p.logs}/error.log" warn;
# Old workers keep long-lived connections (websockets) after a reload; bound how long.
worker_shutdown_timeout 60s;

events {
    worker_connections 4096;
}

http {
    include "${s.mimeTypesFile}";
    default_type application/octet-stream;

    server_tokens off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    # The API's body limit; instance servers raise it for Odoo uploads and imports.
    client_max_body_size 2m;
    # Long custom domain names.
    server_names_hash_bucket_size 128;
    server_names_hash_max_size 8192;

    log_format edge '$remote_addr - [$time_local] "$host" "$request" $status '
                    '$body_bytes_sent $request_time rid=$request_id up=$upstream_status';
    access_log "${p.logs}/access.log" edge;

    client_body_temp_path "${p.temp}/client_body";
    proxy_temp_path "${p.temp}/proxy";
    fastcgi_temp_path "${p.temp}/fastcgi";
    uwsgi_temp_path "${p.temp}/uwsgi";
    scgi_temp_path "${p.temp}/scgi";

    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_min_length 1024;
    gzip_types text/plain text/css text/xml application/xml application/javascript text/javascript application/json application/problem+json image/svg+xml application/vnd.ms-fontobject font/ttf;

    # Rate limits per client address. 429 everywhere; /api answers it as problem JSON.
    limit_req_zone $binary_remote_addr zone=edge_auth:10m rate=${limits.authPerMinute}r/m;
    limit_req_zone $binary_remote_addr zone=edge_api:10m rate=${limits.apiPerSecond}r/s;
    limit_req_zone $binary_remote_addr zone=edge_odoo_login:10m rate=${limits.odooLoginPerMinute}r/m;
    limit_conn_zone $binary_remote_addr zone=edge_conn:10m;
    limit_req_status 429;
    limit_conn_status 429;
    limit_conn edge_conn ${limits.connectionsPerIp};

    # Odoo's static files and asset bundles, shared by all instances (the key holds the instance id).
    proxy_cache_path "${p.cache}/static" levels=1:2 keys_zone=edge_static:20m max_size=2g inactive=7d use_temp_path=off;

    # For instance files that proxy websockets (Odoo's /websocket).
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
    }

    # Security header values for snippets/security-headers.conf. Each is empty when the upstream
    # response already carries the header, so the API can set its own without duplicates.
    map $upstream_http_x_content_type_options $edge_nosniff {
        '' "nosniff";
        default '';
    }
    map $upstream_http_referrer_policy $edge_referrer_policy {
        '' "strict-origin-when-cross-origin";
        default '';
    }
    map $upstream_http_x_frame_options $edge_frame_options {
        '' "DENY";
        default '';
    }
    # Vite builds need no inline scripts or eval; inline styles come from React style props.
    map $upstream_http_content_security_policy $edge_csp {
        '' "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
        default '';
    }
    # HSTS only over TLS (no includeSubDomains: instance subdomains may still wait for a certificate).
    map $https $edge_hsts {
        on "max-age=31536000";
        default '';
    }
${
  tls
    ? `
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:edge_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
${s.resolvers.length > 0 ? `    resolver ${s.resolvers.join(' ')} valid=300s ipv6=off;\n    resolver_timeout 5s;\n` : ''}`
    : ''
}
    upstream saas_api {
        server ${s.apiUpstream};
        keepalive 16;
    }

    # Unknown hosts: the platform's 404 page. ACME challenges are answered for any host, so a
    # custom domain can be verified and certified before it is routed.
    server {
        ${listenHttp(s, ' default_server')}
        server_name _;
        include snippets/well-known.conf;
        location / {
${statusPageDirectives(UNKNOWN_HOST_PAGE, '            ')}
        }
    }
${
  tls
    ? `    server {
        ${listenHttps(s, ' default_server')}
        server_name _;
        # No certificate for unknown names: refuse the handshake instead of showing a wrong one.
        ssl_reject_handshake on;
    }
`
    : ''
}
${platformServers(s, s.publicHost, s.webRoot, certs.publicHost, 'Tenant web app.')}

${platformServers(s, s.adminHost, s.adminRoot, certs.adminHost, 'Platform admin dashboard.')}

    # One file per Odoo instance, written by the platform's EdgeRouter.
    include instances/*.conf;
}
`;
  return new Map([
    ['nginx.conf', main],
    ['snippets/security-headers.conf', securityHeadersSnippet()],
    ['snippets/well-known.conf', wellKnownSnippet(p)],
    ['snippets/api-proxy.conf', apiProxySnippet()],
    ['snippets/platform-locations.conf', platformLocationsSnippet(s)],
    ['snippets/odoo-proxy.conf', odooProxySnippet()],
    ['snippets/odoo-429.conf', odooTooManySnippet()],
  ]);
}

function odooProxySnippet(): string {
  return `# What Odoo needs behind a proxy (it runs with proxy_mode = True).
proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $http_host;
proxy_set_header X-Forwarded-Host $http_host;
proxy_set_header X-Forwarded-Proto $scheme;
proxy_set_header X-Forwarded-For $remote_addr;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Request-Id $request_id;
proxy_redirect off;
# Large imports and long reports.
proxy_connect_timeout 10s;
proxy_send_timeout 720s;
proxy_read_timeout 720s;
`;
}

function odooTooManySnippet(): string {
  return `# 429 page for Odoo's login form on instance hosts.
${statusPageDirectives(TOO_MANY_REQUESTS_PAGE, '')}
`;
}
