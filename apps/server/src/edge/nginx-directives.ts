import { assertPath, nginxString } from './edge-names.js';
import type { EdgeSettings } from './edge-settings.js';
import { renderStatusHtml, type StatusPage } from './status-pages.js';

/** Directives shared by the platform's config and the instance files; every value is already validated. */

export interface TlsCert {
  certFile: string;
  keyFile: string;
  /** The certificate names an OCSP responder: staple its answers. */
  ocsp: boolean;
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
