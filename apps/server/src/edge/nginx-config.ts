import { edgePaths } from './edge-paths.js';
import { type EdgeSettings, validateSettings } from './edge-settings.js';
import { httpsRedirect, listenHttp, listenHttps, statusPageDirectives, type TlsCert, tlsDirectives } from './nginx-directives.js';
import { renderSnippets } from './nginx-snippets.js';
import { UNKNOWN_HOST_PAGE } from './status-pages.js';

/**
 * The edge's main nginx config: http settings, zones, the platform's own hosts and the default
 * servers. Its pieces: settings (edge-settings.ts), paths (edge-paths.ts), shared directives
 * (nginx-directives.ts), snippets (nginx-snippets.ts); one file per instance comes from
 * nginx-instance-config.ts. The config tree uses relative `include`s, so a copy of it in a staging
 * directory validates (nginx -t) exactly as the live one would.
 */

/** nginx's connection counters for prometheus-nginx-exporter: loopback only, not logged. */
function stubStatusServer(port: number): string {
  return `    # Connection counters (stub_status) for prometheus-nginx-exporter: loopback only.
    server {
        listen 127.0.0.1:${port};
        server_name _;
        access_log off;
        set $edge_instance "";
        location = /stub_status {
            stub_status;
            allow 127.0.0.1;
            deny all;
        }
        location / {
            return 404;
        }
    }`;
}

function platformServers(s: EdgeSettings, host: string, root: string, cert: TlsCert | null, label: string): string {
  const body = `        server_name ${host};
        set $edge_instance "";
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
        set $edge_instance "";
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

    # Paths only: a query string can carry a secret (reset, invitation and verification tokens,
    # Odoo's access_token), so the log says only that there was one. $request_uri is the path as
    # the client sent it, unlike $uri, which internal redirects (try_files, error_page) change.
    map $request_uri $edge_log_path {
        "~^(?<edge_log_path_only>[^?]*)" $edge_log_path_only;
        default "-";
    }
    map $request_uri $edge_log_query {
        "~[?]" "?[query hidden]";
        default "";
    }
    # The instance a request went to (its id, set by the instance's servers; "-" elsewhere), so request
    # counts per instance (mtail, docs/monitoring.md) are bounded by instances, never by Host headers.
    map $edge_instance $edge_log_instance {
        "" "-";
        default $edge_instance;
    }
    log_format edge '$remote_addr - [$time_local] "$host" "$request_method $edge_log_path$edge_log_query $server_protocol" '
                    '$status $body_bytes_sent $request_time rid=$request_id up=$upstream_status inst=$edge_log_instance';
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
    # Odoo: per client address and instance ($edge_instance, set by each instance's servers), so
    # one client's use of an instance never takes another instance's budget.
    limit_req_zone $binary_remote_addr$edge_instance zone=edge_odoo_login:20m rate=${limits.odooLoginPerMinute}r/m;
    limit_req_zone $binary_remote_addr$edge_instance zone=edge_odoo_rpc:20m rate=${limits.odooRpcPerSecond}r/s;
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
        # Declares the limit key's variable for the whole config (no instance may exist yet).
        set $edge_instance "";
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
${platformServers(s, s.publicHost, s.webRoot, certs.publicHost, 'Tenant web app.')}${
  s.statusPort === undefined
    ? ''
    : `
${stubStatusServer(s.statusPort)}`
}

${platformServers(s, s.adminHost, s.adminRoot, certs.adminHost, 'Platform admin dashboard.')}

    # One file per Odoo instance, written by the platform's EdgeRouter.
    include instances/*.conf;
}
`;
  return new Map([['nginx.conf', main], ...renderSnippets(s, p)]);
}
