import type { EdgePaths } from './edge-paths.js';
import { CHALLENGE_DIRS } from './edge-router.js';
import type { EdgeSettings } from './edge-settings.js';
import { statusPageDirectives } from './nginx-directives.js';
import { TOO_MANY_REQUESTS_PAGE } from './status-pages.js';

/** The files under `snippets/`, included by the main config and the instance files. */
export function renderSnippets(s: EdgeSettings, p: EdgePaths): [string, string][] {
  return [
    ['snippets/security-headers.conf', securityHeadersSnippet()],
    ['snippets/well-known.conf', wellKnownSnippet(p)],
    ['snippets/api-proxy.conf', apiProxySnippet('60s')],
    ['snippets/api-proxy-long.conf', apiProxySnippet('3600s')],
    ['snippets/api-404.conf', api404Snippet()],
    [
      'snippets/api-public.conf',
      `# The API under the general per-address limit.\nlimit_req zone=edge_api burst=${s.limits.apiBurst} nodelay;\nerror_page 429 @api_rate_limited;\ninclude snippets/api-proxy.conf;\n`,
    ],
    ['snippets/platform-locations.conf', platformLocationsSnippet(s)],
    ['snippets/odoo-proxy.conf', odooProxySnippet()],
    ['snippets/odoo-429.conf', odooTooManySnippet()],
    ['snippets/odoo-429-rpc.conf', odooRpcTooManySnippet(s)],
  ];
}

// The problem type URL prefix is the API's (http/problem.ts).
function problem(status: number, title: string, code: string, detail: string): string {
  return JSON.stringify({
    type: `https://docs.odoo-saas.local/problems/${code}`,
    title,
    status,
    code,
    detail,
    requestId: '@REQUEST_ID@',
  }).replace('@REQUEST_ID@', '$request_id');
}
const rateLimitedProblem = (detail: string) => problem(429, 'Too Many Requests', 'rate_limited', detail);

/** Like nginxString, but for our own constant text that deliberately uses `$request_id`. */
function nginxStringAllowingVars(text: string): string {
  if (/\$(?!request_id\b)/.test(text)) throw new Error('unexpected variable in constant text');
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
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

/** Every challenge kind of the EdgeRouter, served from the webroot (NginxEdgeRouter.publishChallenge writes there). */
function wellKnownSnippet(p: EdgePaths): string {
  const locations = Object.values(CHALLENGE_DIRS).map(
    (dir) => `location ^~ /.well-known/${dir}/ {
    root "${p.webroot}";
    default_type text/plain;
    try_files $uri =404;
}
`,
  );
  return `# ACME HTTP-01 challenges (and the platform's domain checks), for every host.\n${locations.join('')}`;
}

function apiProxySnippet(readTimeout: string): string {
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
proxy_read_timeout ${readTimeout};
# Several API tasks (the service's name resolves to each): one that died is passed over quickly. A request whose
# connection failed goes to the next task; a POST or PATCH only when it never reached the dead one (nginx's
# default: no non_idempotent), so it is never applied twice.
proxy_connect_timeout 3s;
proxy_next_upstream error timeout;
proxy_next_upstream_tries 2;
`;
}

function api404Snippet(): string {
  return `# Paths under /api that the edge does not proxy: the API's own 404, as problem JSON.
default_type application/problem+json;
include snippets/security-headers.conf;
add_header Cache-Control "no-store" always;
return 404 ${nginxStringAllowingVars(problem(404, 'Not Found', 'route_not_found', 'No such route.'))};
`;
}

function platformLocationsSnippet(s: EdgeSettings): string {
  return `# The web app and admin dashboard hosts: the SPA (root set by the server block) and the API.
include snippets/security-headers.conf;
include snippets/well-known.conf;

# The API is proxied by allow-list: /api/v1/, the OpenAPI document and its browsable docs.
# Anything else under /api (metrics, internal or future routes) answers 404 here and never
# reaches the API. nginx matches locations on the normalized path, so /api/v1/../metrics,
# %2e%2e and doubled slashes land in the 404 too.
location = /api {
    include snippets/api-404.conf;
}
# (Without it, nginx would answer /api/v1 with a redirect to /api/v1/.)
location = /api/v1 {
    include snippets/api-404.conf;
}
location ^~ /api/ {
    include snippets/api-404.conf;
}

# Sign-in, sign-up, password resets: tight per-address limit.
location ^~ /api/v1/auth/ {
    limit_req zone=edge_auth burst=${s.limits.authBurst} nodelay;
    error_page 429 @api_rate_limited_auth;
    include snippets/api-proxy.conf;
}

location ^~ /api/v1/ {
    include snippets/api-public.conf;

    # Backup uploads: the zip is the body, passed on as it arrives (not spooled here) up to its own
    # limit; the API checks size and content, and answers once it has validated the whole archive.
    location ~ "^/api/v1/instances/[0-9a-f-]{36}/backups/upload$" {
        client_max_body_size ${s.backupUploadMaxMb}m;
        proxy_request_buffering off;
        include snippets/api-proxy-long.conf;
    }
    # Backup downloads (signed links): streamed to the client as read from storage.
    location ^~ /api/v1/backup-downloads/ {
        proxy_buffering off;
        include snippets/api-proxy-long.conf;
    }
}
location = /api/openapi.json {
    include snippets/api-public.conf;
}
location = /api/docs {
    include snippets/api-public.conf;
}
location ^~ /api/docs/ {
    include snippets/api-public.conf;
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

/** RPC clients read the status, not a page: a short text answer with the wait. */
function odooRpcTooManySnippet(s: EdgeSettings): string {
  return `# 429 for Odoo's external API on instance hosts.
default_type "text/plain; charset=utf-8";
add_header Retry-After ${Math.max(1, Math.ceil(1 / s.limits.odooRpcPerSecond))} always;
add_header Cache-Control "no-store" always;
return 429 "Too many requests from this address. Try again later.\n";
`;
}

function odooTooManySnippet(): string {
  return `# 429 page for Odoo's login form on instance hosts.
${statusPageDirectives(TOO_MANY_REQUESTS_PAGE, '')}
`;
}
